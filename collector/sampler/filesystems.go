package sampler

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// fsUsage is what df(1) shows for one filesystem.
type fsUsage struct {
	size, used, avail, inodes, inodesUsed uint64
}

func statfs(path string) (fsUsage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return fsUsage{}, err
	}
	bs := uint64(st.Frsize)
	if bs == 0 {
		bs = uint64(st.Bsize)
	}
	u := fsUsage{size: st.Blocks * bs, avail: st.Bavail * bs, inodes: st.Files}
	if st.Blocks >= st.Bfree {
		u.used = (st.Blocks - st.Bfree) * bs
	}
	if st.Files >= st.Ffree {
		u.inodesUsed = st.Files - st.Ffree
	}
	return u, nil
}

// statfsTimeout bounds one statfs call. A filesystem whose backing device
// or server has gone away can block statfs forever; the call is then left
// running in its goroutine, the mount is skipped until it returns, and the
// rest of the sample goes on.
const statfsTimeout = 2 * time.Second

var errStuck = errors.New("statfs still blocked from an earlier sample")

func (s *Sampler) statfsBounded(path string) (fsUsage, error) {
	s.mu.Lock()
	stuck := s.stuck[path]
	s.mu.Unlock()
	if stuck {
		return fsUsage{}, errStuck
	}
	type result struct {
		u   fsUsage
		err error
	}
	ch := make(chan result, 1)
	go func() {
		u, err := s.statfs(path)
		ch <- result{u, err}
		s.mu.Lock()
		delete(s.stuck, path)
		s.mu.Unlock()
	}()
	t := time.NewTimer(statfsTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.u, r.err
	case <-t.C:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case r := <-ch: // finished while we took the lock
		return r.u, r.err
	default:
		s.stuck[path] = true
		return fsUsage{}, fmt.Errorf("statfs blocked for more than %s", statfsTimeout)
	}
}

// mounts reads the host's mount table. <proc>/1/mountinfo is the host init
// process's view, which is what a collector in its own mount namespace must
// read (it is readable without privileges); <proc>/self/mountinfo is the
// fallback for hosts that hide pid 1.
func (s *Sampler) mounts() ([]*procfs.MountInfo, error) {
	m, err := s.proc.GetProcMounts(1)
	if err == nil {
		return m, nil
	}
	m, err2 := s.proc.GetMounts()
	if err2 != nil {
		return nil, errors.Join(err, err2)
	}
	return m, nil
}

// sampleFilesystems emits usage of each real filesystem once: pseudo and
// container filesystems are skipped by type, workload mounts by path, and
// a filesystem mounted in several places (bind mounts) is reported at its
// shortest mount point.
func (s *Sampler) sampleFilesystems(out *emitter) error {
	mounts, err := s.mounts()
	if err != nil {
		return err
	}
	// A later mount on a path hides the earlier ones, whatever their types.
	visible := map[string]*procfs.MountInfo{}
	for _, m := range mounts {
		visible[unescapeMount(m.MountPoint)] = m
	}
	byDev := map[string]string{} // major:minor -> shortest mount point
	for _, mp := range sortedKeys(visible) {
		m := visible[mp]
		if s.cfg.FSTypesExclude[m.FSType] {
			continue
		}
		if s.cfg.MountsExclude != nil && s.cfg.MountsExclude.MatchString(mp) {
			continue
		}
		if have, ok := byDev[m.MajorMinorVer]; ok && len(have) <= len(mp) {
			continue
		}
		byDev[m.MajorMinorVer] = mp
	}
	var errs []error
	for _, dev := range sortedKeys(byDev) {
		mp := byDev[dev]
		u, err := s.statfsBounded(filepath.Join(s.cfg.RootFS, mp))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", mp, err))
			continue
		}
		if u.size == 0 {
			continue // nothing to chart (and some pseudo filesystems slip through by type)
		}
		out.size(FSSize, mp, float64(u.size))
		out.size(FSUsed, mp, float64(u.used))
		out.size(FSAvail, mp, float64(u.avail))
		if u.inodes > 0 {
			out.size(FSInodes, mp, float64(u.inodes))
			out.size(FSInodesUsed, mp, float64(u.inodesUsed))
		}
	}
	return errors.Join(errs...)
}

// unescapeMount undoes the octal escapes (\040 for space, \011, \012,
// \134) the kernel writes into mountinfo paths.
func unescapeMount(p string) string {
	if !strings.Contains(p, `\`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+4 <= len(p) {
			if v, err := strconv.ParseUint(p[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
