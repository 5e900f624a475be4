package payload

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func valid() *Payload {
	return &Payload{
		Node: "node-1.example", Instance: "a1b2c3", Seq: 7, IntervalMS: 15000,
		Scrapes: []Scrape{
			{TSMillis: 1772359200000, Samples: []Sample{
				{Metric: "cpu.user_pct", Device: "cpu0", Value: 12.5},
				{Metric: "cpu.user_pct", Value: 10},
				{Metric: "temp.celsius", Device: "coretemp/Package id 0", Value: 45},
				{Metric: "fs.used_bytes", Device: "/mnt/my data", Value: 1.5e12},
			}},
			{TSMillis: 1772359215000, Samples: []Sample{{Metric: "load.1m", Value: 0.25}}},
		},
	}
}

func gz(t testing.TB, p *Payload) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, nil, p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	want := valid()
	zw := gzip.NewWriter(nil)
	for range 2 { // the reused compressor must reset cleanly
		var buf bytes.Buffer
		if err := Encode(&buf, zw, want); err != nil {
			t.Fatal(err)
		}
		got, err := Read(&buf, true, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
	}
	if n := want.Samples(); n != 5 {
		t.Fatalf("Samples() = %d", n)
	}
}

func TestInvalid(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(*Payload)
		msg  string
	}{
		"node uppercase":     {func(p *Payload) { p.Node = "Node-1" }, "node name"},
		"node empty":         {func(p *Payload) { p.Node = "" }, "node name"},
		"node too long":      {func(p *Payload) { p.Node = strings.Repeat("a", 254) }, "node name"},
		"node slash":         {func(p *Payload) { p.Node = "a/b" }, "node name"},
		"instance empty":     {func(p *Payload) { p.Instance = "" }, "instance"},
		"instance space":     {func(p *Payload) { p.Instance = "a b" }, "instance"},
		"seq zero":           {func(p *Payload) { p.Seq = 0 }, "seq"},
		"seq overflow":       {func(p *Payload) { p.Seq = math.MaxUint64 }, "overflows"},
		"interval small":     {func(p *Payload) { p.IntervalMS = 10 }, "interval_ms"},
		"no scrapes":         {func(p *Payload) { p.Scrapes = nil }, "no scrapes"},
		"no samples":         {func(p *Payload) { p.Scrapes[1].Samples = nil }, "no samples"},
		"ts zero":            {func(p *Payload) { p.Scrapes[0].TSMillis = 0 }, "ts_ms"},
		"ts repeated":        {func(p *Payload) { p.Scrapes[1].TSMillis = p.Scrapes[0].TSMillis }, "duplicate"},
		"ts backwards":       {func(p *Payload) { p.Scrapes[1].TSMillis = 1 }, "out of order"},
		"metric shape":       {func(p *Payload) { p.Scrapes[0].Samples[0].Metric = "CPU" }, "metric name"},
		"metric injection":   {func(p *Payload) { p.Scrapes[0].Samples[0].Metric = "cpu.x'; drop table" }, "metric name"},
		"device control":     {func(p *Payload) { p.Scrapes[0].Samples[0].Device = "a\nb" }, "control"},
		"device long":        {func(p *Payload) { p.Scrapes[0].Samples[0].Device = strings.Repeat("x", 129) }, "longer"},
		"device not utf8":    {func(p *Payload) { p.Scrapes[0].Samples[0].Device = "\xff" }, "UTF-8"},
		"value beyond f32":   {func(p *Payload) { p.Scrapes[0].Samples[0].Value = 1e39 }, "float32"},
		"duplicate series":   {func(p *Payload) { p.Scrapes[0].Samples[1].Device = "cpu0" }, "twice"},
		"too many scrapes":   {func(p *Payload) { p.Scrapes = append(p.Scrapes, make([]Scrape, 1000)...) }, "scrapes"},
		"too many in scrape": {func(p *Payload) { p.Scrapes[0].Samples = manySamples(20001) }, "samples"},
	} {
		t.Run(name, func(t *testing.T) {
			p := valid()
			c.edit(p)
			err := p.Validate(DefaultLimits)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, c.msg)
			}
			// And through the decoder, as the agent sees it. (JSON cannot
			// carry invalid UTF-8: encoding/json turns it into U+FFFD.)
			if name == "device not utf8" {
				return
			}
			b, _ := json.Marshal(p)
			if _, err := Decode(b, DefaultLimits); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode: %v, want ErrInvalid", err)
			}
		})
	}
}

func manySamples(n int) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{Metric: "x.y", Device: strings.Repeat("d", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26)), Value: 1}
	}
	return out
}

func TestTotalSamplesBound(t *testing.T) {
	p := valid()
	p.Scrapes = nil
	for i := range 3 {
		p.Scrapes = append(p.Scrapes, Scrape{TSMillis: int64(1000 + i), Samples: manySamples(4)})
	}
	lim := DefaultLimits
	lim.MaxSamples = 10
	if err := p.Validate(lim); !errors.Is(err, ErrInvalid) {
		t.Fatalf("12 samples with a bound of 10: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	good, _ := json.Marshal(valid())
	for name, body := range map[string]string{
		"empty":         "",
		"garbage":       "\x00\x01binary",
		"not an object": "[1,2,3]",
		"unknown field": strings.Replace(string(good), `"node"`, `"nodes":1,"node"`, 1),
		"wrong type":    strings.Replace(string(good), `"seq":7`, `"seq":"7"`, 1),
		"negative seq":  strings.Replace(string(good), `"seq":7`, `"seq":-7`, 1),
		"float ts":      strings.Replace(string(good), `"ts_ms":1772359200000`, `"ts_ms":1.5`, 1),
		"huge number":   strings.Replace(string(good), `"value":12.5`, `"value":1e999`, 1),
		"nan":           strings.Replace(string(good), `"value":12.5`, `"value":NaN`, 1),
		"two objects":   string(good) + string(good),
		"trailing junk": string(good) + "x",
		"truncated":     string(good[:len(good)/2]),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(body), DefaultLimits)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := Read(strings.NewReader("not gzip"), true, DefaultLimits); !errors.Is(err, ErrMalformed) {
		t.Fatalf("plain text as gzip: %v", err)
	}
	// Trailing whitespace after the object is fine.
	if _, err := Decode(append(good, " \n\t"...), DefaultLimits); err != nil {
		t.Fatalf("trailing whitespace: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	good, _ := json.Marshal(valid())
	lim := DefaultLimits
	lim.MaxDecodedBytes = int64(len(good))
	if _, err := Decode(good, lim); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	lim.MaxDecodedBytes--
	if _, err := Decode(good, lim); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte over: %v", err)
	}
}

// TestGzipBomb: 64 MiB of whitespace compresses to about 64 KB;
// reading must stop at the decoded limit, not inflate it all.
func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	zw.Write([]byte("{"))
	for range 64 {
		zw.Write(chunk)
	}
	zw.Close()
	lim := DefaultLimits
	lim.MaxDecodedBytes = 1 << 20
	_, err := Read(bytes.NewReader(buf.Bytes()), true, lim)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestNameShapes(t *testing.T) {
	for _, ok := range []string{"ip-10-0-1-23.ec2.internal", "k3s-server-0", "a"} {
		if err := ValidNode(ok); err != nil {
			t.Errorf("ValidNode(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"-a", "a-", "a..b", "A", "a_b", ""} {
		if ValidNode(bad) == nil {
			t.Errorf("ValidNode(%q) accepted", bad)
		}
	}
	for _, ok := range []string{"cpu.user_pct", "load.1m", "psi.some_avg10_pct", "a.b.c"} {
		if err := ValidMetric(ok); err != nil {
			t.Errorf("ValidMetric(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"cpu", "cpu.", ".cpu", "Cpu.x", "cpu.user-pct", "1cpu.x", strings.Repeat("a.", 40)} {
		if ValidMetric(bad) == nil {
			t.Errorf("ValidMetric(%q) accepted", bad)
		}
	}
}

// FuzzRead: whatever the bytes, Read returns a payload that validates or a
// classified error, never panics, and what it accepts survives a round
// trip unchanged. CI runs the seed corpus as a normal test; explore with
// go test ./collector/payload -run '^$' -fuzz FuzzRead -fuzztime 60s.
func FuzzRead(f *testing.F) {
	good, _ := json.Marshal(valid())
	f.Add(good, false)
	f.Add(gz(f, valid()), true)
	f.Add([]byte(`{"node":"n","instance":"i","seq":1,"interval_ms":15000,"scrapes":[{"ts_ms":1,"samples":[{"metric":"a.b","value":1}]}]}`), false)
	f.Add([]byte(`{"node":"n","instance":"i","seq":1,"interval_ms":15000,"scrapes":[{"ts_ms":1,"samples":[{"metric":"a.b","value":1},{"metric":"a.b","value":2}]}]}`), false)
	f.Add([]byte(`{"node":"N"}`), false)
	f.Add([]byte(`{}`), false)
	f.Add([]byte(`[]`), false)
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), true)
	f.Add([]byte{}, true)
	lim := Limits{MaxDecodedBytes: 64 << 10, MaxScrapes: 50, MaxSamplesPerScrape: 500, MaxSamples: 2000}
	f.Fuzz(func(t *testing.T, data []byte, gzipped bool) {
		p, err := Read(bytes.NewReader(data), gzipped, lim)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unclassified error: %v", err)
			}
			if p != nil {
				t.Fatalf("payload returned with error %v", err)
			}
			return
		}
		if err := p.Validate(lim); err != nil {
			t.Fatalf("accepted payload does not validate: %v", err)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, nil, p); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		q, err := Read(&buf, true, Limits{MaxDecodedBytes: 1 << 30, MaxScrapes: 50, MaxSamplesPerScrape: 500, MaxSamples: 2000})
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the payload:\n%+v\n%+v", p, q)
		}
	})
}
