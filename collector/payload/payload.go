// Package payload is the wire format between a node's collector and its
// cluster's agent: one node's scrapes as gzip-compressed JSON.
//
// Both ends use this package, so the collector can never send what the agent
// would refuse to parse. Decoding is written for hostile input: every size is
// bounded before memory is spent on it, unknown fields are errors, and
// Validate checks everything a lake row will be built from. The package knows
// nothing about HTTP, tokens, clocks or the lake; the agent's ingest handler
// owns those.
package payload

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"unicode"
	"unicode/utf8"
)

// ContentType is the media type of an encoded payload (before gzip).
const ContentType = "application/json"

// Payload is one push: consecutive scrapes of one node by one collector run.
type Payload struct {
	// Node is the Kubernetes node name.
	Node string `json:"node"`
	// Instance identifies one collector process; sequence numbers restart
	// with every instance, so replay detection is per node and instance.
	Instance string `json:"instance"`
	// Seq is the sequence number of Scrapes[0]; Scrapes[i] has Seq+i. A
	// collector numbers scrapes from 1 and never reuses a number, so a
	// retried push carries the same numbers and the agent can refuse it.
	Seq uint64 `json:"seq"`
	// IntervalMS is the collector's sampling interval; the agent uses it to
	// tell when a node has gone quiet.
	IntervalMS int64    `json:"interval_ms"`
	Scrapes    []Scrape `json:"scrapes"`
}

// Scrape is every sample taken at one instant.
type Scrape struct {
	// TSMillis is the sample time in Unix milliseconds. Collectors stamp
	// the interval grid point, not the instant the files were read, so
	// consecutive timestamps differ by exactly the interval and cost almost
	// nothing in the lake's delta-encoded column.
	TSMillis int64    `json:"ts_ms"`
	Samples  []Sample `json:"samples"`
}

// Sample is one value of one series, e.g. {"cpu.user_pct", "cpu3", 12.5}.
type Sample struct {
	Metric string  `json:"metric"`
	Device string  `json:"device,omitempty"`
	Value  float64 `json:"value"`
}

// Limits bound what one payload may hold.
type Limits struct {
	MaxDecodedBytes     int64 // JSON after gzip
	MaxScrapes          int   // scrapes per payload
	MaxSamplesPerScrape int
	MaxSamples          int // over all scrapes
}

// DefaultLimits fit a collector sending a day of backlog from a large node
// in batches, with room to spare, and keep one request's memory in the low
// tens of MB.
var DefaultLimits = Limits{
	MaxDecodedBytes:     16 << 20,
	MaxScrapes:          1000,
	MaxSamplesPerScrape: 20000,
	MaxSamples:          200000,
}

// Classified errors; the ingest handler maps them to HTTP statuses.
var (
	// ErrTooLarge: the decoded payload exceeds MaxDecodedBytes.
	ErrTooLarge = errors.New("payload too large")
	// ErrMalformed: not gzip, not JSON, or JSON of the wrong shape.
	ErrMalformed = errors.New("malformed payload")
	// ErrInvalid: well-formed but violates the schema.
	ErrInvalid = errors.New("invalid payload")
)

// Name shapes. Metric names are dotted lowercase words ("cpu.user_pct");
// instances are opaque tokens; devices are free text (mount points, sensor
// labels) bounded in length and without control characters.
var (
	metricRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	nodeRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
	instanceRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// MaxDeviceLen bounds a device label in bytes.
const MaxDeviceLen = 128

const (
	maxMetricLen = 64
	maxNodeLen   = 253 // a Kubernetes node name is a DNS subdomain
	minInterval  = 1000
	maxInterval  = 3600 * 1000
)

// ValidNode reports whether name can be a node name (a DNS subdomain, as
// Kubernetes requires of node names).
func ValidNode(name string) error {
	if len(name) == 0 || len(name) > maxNodeLen || !nodeRE.MatchString(name) {
		return fmt.Errorf("node name %q: want a lowercase DNS subdomain of at most %d characters", clip(name), maxNodeLen)
	}
	return nil
}

// ValidMetric reports whether name can be a metric name.
func ValidMetric(name string) error {
	if len(name) > maxMetricLen || !metricRE.MatchString(name) {
		return fmt.Errorf("metric name %q: want dotted lowercase words like cpu.user_pct, at most %d characters", clip(name), maxMetricLen)
	}
	return nil
}

// ValidDevice reports whether d can be a device label.
func ValidDevice(d string) error {
	if len(d) > MaxDeviceLen {
		return fmt.Errorf("device %q: longer than %d bytes", clip(d), MaxDeviceLen)
	}
	if !utf8.ValidString(d) {
		return fmt.Errorf("device %q: not UTF-8", clip(d))
	}
	for _, r := range d {
		if unicode.IsControl(r) {
			return fmt.Errorf("device %q: control character", clip(d))
		}
	}
	return nil
}

// ValidValue reports whether v can be stored: the lake keeps float32, so a
// finite float64 beyond float32's range would turn into an infinity.
func ValidValue(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
		return fmt.Errorf("value %g is not a finite float32", v)
	}
	return nil
}

// Encode writes p as gzip-compressed JSON to w, reusing zw (which may be
// nil) so a long-running collector does not allocate a compressor per push.
func Encode(w io.Writer, zw *gzip.Writer, p *Payload) error {
	if zw == nil {
		zw = gzip.NewWriter(w)
	} else {
		zw.Reset(w)
	}
	if err := json.NewEncoder(zw).Encode(p); err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress payload: %w", err)
	}
	return nil
}

// Read decodes and validates a payload from r, gunzipping first when
// gzipped. At most lim.MaxDecodedBytes of JSON are read, which is what
// keeps a small compressed body from expanding into gigabytes (a gzip
// bomb): the limit applies to the decompressed stream, not the body.
func Read(r io.Reader, gzipped bool, lim Limits) (*Payload, error) {
	if gzipped {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrMalformed, err)
		}
		defer zr.Close()
		// Concatenated gzip members are legal but nobody sends them; one
		// member keeps the decoded size what the header promised.
		zr.Multistream(false)
		r = zr
	}
	lr := &limitReader{r: r, n: lim.MaxDecodedBytes}
	p, err := decode(lr)
	if lr.exceeded {
		return nil, fmt.Errorf("%w: more than %d bytes of JSON", ErrTooLarge, lim.MaxDecodedBytes)
	}
	if err != nil {
		return nil, err
	}
	if err := p.Validate(lim); err != nil {
		return nil, err
	}
	return p, nil
}

// Decode parses an uncompressed payload and validates it.
func Decode(data []byte, lim Limits) (*Payload, error) {
	return Read(bytes.NewReader(data), false, lim)
}

func decode(r io.Reader) (*Payload, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Payload
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	// One JSON value and nothing after it but whitespace.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the payload object", ErrMalformed)
	}
	return &p, nil
}

// Validate checks everything except the clock: names, counts, ordering,
// uniqueness and values.
func (p *Payload) Validate(lim Limits) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if err := ValidNode(p.Node); err != nil {
		return bad("%v", err)
	}
	if !instanceRE.MatchString(p.Instance) {
		return bad("instance %q: want 1-64 characters of A-Z a-z 0-9 . _ -", clip(p.Instance))
	}
	if p.Seq == 0 {
		return bad("seq must start at 1")
	}
	if p.IntervalMS < minInterval || p.IntervalMS > maxInterval {
		return bad("interval_ms %d: want %d..%d", p.IntervalMS, minInterval, maxInterval)
	}
	n := len(p.Scrapes)
	if n == 0 {
		return bad("no scrapes")
	}
	if n > lim.MaxScrapes {
		return bad("%d scrapes, at most %d per payload", n, lim.MaxScrapes)
	}
	if p.Seq > math.MaxUint64-uint64(n) {
		return bad("seq %d overflows", p.Seq)
	}
	total := 0
	seen := make(map[seriesKey]struct{})
	for i, sc := range p.Scrapes {
		if sc.TSMillis <= 0 {
			return bad("scrape %d: ts_ms %d is not a Unix time in milliseconds", i, sc.TSMillis)
		}
		if i > 0 && sc.TSMillis <= p.Scrapes[i-1].TSMillis {
			return bad("scrape %d: ts_ms %d not after the previous scrape's %d (duplicate or out of order)", i, sc.TSMillis, p.Scrapes[i-1].TSMillis)
		}
		if len(sc.Samples) == 0 {
			return bad("scrape %d: no samples", i)
		}
		if len(sc.Samples) > lim.MaxSamplesPerScrape {
			return bad("scrape %d: %d samples, at most %d", i, len(sc.Samples), lim.MaxSamplesPerScrape)
		}
		total += len(sc.Samples)
		if total > lim.MaxSamples {
			return bad("more than %d samples in one payload", lim.MaxSamples)
		}
		clear(seen)
		for j, s := range sc.Samples {
			if err := ValidMetric(s.Metric); err != nil {
				return bad("scrape %d sample %d: %v", i, j, err)
			}
			if err := ValidDevice(s.Device); err != nil {
				return bad("scrape %d sample %d: %v", i, j, err)
			}
			if err := ValidValue(s.Value); err != nil {
				return bad("scrape %d sample %d (%s %q): %v", i, j, s.Metric, s.Device, err)
			}
			k := seriesKey{s.Metric, s.Device}
			if _, dup := seen[k]; dup {
				return bad("scrape %d: series %s %q appears twice", i, s.Metric, s.Device)
			}
			seen[k] = struct{}{}
		}
	}
	return nil
}

// Samples counts the samples of all scrapes.
func (p *Payload) Samples() int {
	n := 0
	for _, sc := range p.Scrapes {
		n += len(sc.Samples)
	}
	return n
}

type seriesKey struct{ metric, device string }

// limitReader is io.LimitReader that remembers hitting the limit, so a
// truncated document reports "too large" rather than a confusing syntax
// error.
type limitReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Probe one byte: exactly n bytes followed by EOF is fine.
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			l.exceeded = true
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// clip shortens attacker-controlled strings before they go into errors and
// logs.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
