package sampler

import (
	"errors"

	"github.com/prometheus/procfs"
	"github.com/prometheus/procfs/blockdevice"
)

// sectorBytes is the unit of /proc/diskstats sector counts: always 512,
// whatever the device's real sector size.
const sectorBytes = 512

// sampleDisks emits IO rates of whole disks from /proc/diskstats.
func (s *Sampler) sampleDisks(out *emitter, cur, prev *counters, dt float64) error {
	stats, err := s.block.ProcDiskstats()
	if err != nil {
		return err
	}
	// /sys/block lists whole disks only; partitions live below them. Without
	// it (an unusual container setup) every device counts as a disk.
	whole := map[string]bool{}
	names, sysErr := s.block.SysBlockDevices()
	for _, n := range names {
		whole[n] = true
	}
	cur.disks = make(map[string]blockdevice.IOStats, len(stats))
	for _, d := range stats {
		name := d.DeviceName
		if s.cfg.DiskExclude != nil && s.cfg.DiskExclude.MatchString(name) {
			continue
		}
		if !s.cfg.DiskPartitions && sysErr == nil && !whole[name] {
			continue
		}
		cur.disks[name] = d.IOStats
	}
	if prev == nil {
		return nil
	}
	for _, name := range sortedKeys(cur.disks) {
		p, ok := prev.disks[name]
		if !ok {
			continue // appeared during the interval
		}
		c := cur.disks[name]
		rs, ok1 := delta(p.ReadSectors, c.ReadSectors)
		ws, ok2 := delta(p.WriteSectors, c.WriteSectors)
		ri, ok3 := delta(p.ReadIOs, c.ReadIOs)
		wi, ok4 := delta(p.WriteIOs, c.WriteIOs)
		busy, ok5 := delta(p.IOsTotalTicks, c.IOsTotalTicks)
		if !(ok1 && ok2 && ok3 && ok4 && ok5) {
			continue // reset: the device was re-created
		}
		out.rate(DiskReadBytes, name, float64(rs*sectorBytes)/dt)
		out.rate(DiskWriteBytes, name, float64(ws*sectorBytes)/dt)
		out.rate(DiskReads, name, float64(ri)/dt)
		out.rate(DiskWrites, name, float64(wi)/dt)
		// io_ticks is milliseconds with IO in flight; it can run slightly
		// ahead of wall time because the kernel updates it lazily.
		out.pct(DiskUtil, name, min(100, float64(busy)/(dt*1000)*100))
	}
	return nil
}

// netDev reads the host's interface counters. <proc>/net/dev is the reading
// process's network namespace; <proc>/1/net/dev is the host's when the
// collector runs without hostNetwork (readable without privileges).
func (s *Sampler) netDev() (procfs.NetDev, error) {
	p, err := s.proc.Proc(1)
	if err == nil {
		if nd, err := p.NetDev(); err == nil {
			return nd, nil
		}
	}
	nd, err2 := s.proc.NetDev()
	if err2 != nil {
		return nil, errors.Join(err, err2)
	}
	return nd, nil
}

// sampleNet emits per-interface rates of physical-looking interfaces.
func (s *Sampler) sampleNet(out *emitter, cur, prev *counters, dt float64) error {
	nd, err := s.netDev()
	if err != nil {
		return err
	}
	cur.nets = make(map[string]procfs.NetDevLine, len(nd))
	for name, l := range nd {
		if s.cfg.NetInclude != nil && !s.cfg.NetInclude.MatchString(name) {
			continue
		}
		if s.cfg.NetExclude != nil && s.cfg.NetExclude.MatchString(name) {
			continue
		}
		cur.nets[name] = l
	}
	if prev == nil {
		return nil
	}
	for _, name := range sortedKeys(cur.nets) {
		p, ok := prev.nets[name]
		if !ok {
			continue
		}
		c := cur.nets[name]
		// Each counter stands alone: a driver resetting its error counters
		// should not hide the traffic.
		pairs := []struct {
			metric      string
			prev, value uint64
		}{
			{NetRxBytes, p.RxBytes, c.RxBytes},
			{NetTxBytes, p.TxBytes, c.TxBytes},
			{NetRxPackets, p.RxPackets, c.RxPackets},
			{NetTxPackets, p.TxPackets, c.TxPackets},
			{NetRxErrors, p.RxErrors, c.RxErrors},
			{NetTxErrors, p.TxErrors, c.TxErrors},
			{NetRxDrops, p.RxDropped, c.RxDropped},
			{NetTxDrops, p.TxDropped, c.TxDropped},
		}
		for _, x := range pairs {
			if d, ok := delta(x.prev, x.value); ok {
				out.rate(x.metric, name, float64(d)/dt)
			}
		}
	}
	return nil
}
