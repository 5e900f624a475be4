package main

import (
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// The parquet writer's zstd encoders use the default 8 MiB window, so
// every pooled encoder holds 16 MiB of history — more than the agent's
// whole informer cache — while the agent's column chunks are kilobytes.
// A 256 KiB window compresses them the same (zstd never looks further back
// than the data) for a fraction of the memory. Decoding and the streaming
// API are unchanged. Registered here, in the binary, because it is a
// process-wide setting.
func init() {
	base, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		return
	}
	compress.RegisterCodec(compress.Codecs.Zstd, &smallZstd{Codec: base, base: base})
}

type smallZstd struct {
	compress.Codec
	base  compress.Codec
	mu    sync.Mutex
	pools map[zstd.EncoderLevel]*sync.Pool
}

func (c *smallZstd) pool(level zstd.EncoderLevel) *sync.Pool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pools == nil {
		c.pools = map[zstd.EncoderLevel]*sync.Pool{}
	}
	p := c.pools[level]
	if p == nil {
		p = &sync.Pool{New: func() any {
			enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithWindowSize(256<<10),
				zstd.WithLowerEncoderMem(true), zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true),
				zstd.WithAllLitEntropyCompression(true))
			return enc
		}}
		c.pools[level] = p
	}
	return p
}

func (c *smallZstd) Encode(dst, src []byte) []byte {
	return c.EncodeLevel(dst, src, compress.DefaultCompressionLevel)
}

func (c *smallZstd) EncodeLevel(dst, src []byte, level int) []byte {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	p := c.pool(l)
	enc := p.Get().(*zstd.Encoder)
	defer p.Put(enc)
	return enc.EncodeAll(src, dst[:0])
}

func (c *smallZstd) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(c.base, dst, src)
}

func (c *smallZstd) NewReader(r io.Reader) io.ReadCloser {
	return c.base.(compress.StreamingCodec).NewReader(r)
}
func (c *smallZstd) NewWriter(w io.Writer) io.WriteCloser {
	return c.base.(compress.StreamingCodec).NewWriter(w)
}
func (c *smallZstd) NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error) {
	return c.base.(compress.StreamingCodec).NewWriterLevel(w, level)
}
