package sampler

import (
	"cmp"
	"slices"
	"strconv"
)

// procTicks is one process's CPU time; start tells a reused pid apart.
type procTicks struct {
	ticks, start uint64
	comm         string
	rss          int
}

// sampleProcs emits CPU and RSS of the TopProcs processes that used the
// most CPU over the interval. Processes that exit while being read are
// skipped; a pid reused by a new process starts over.
func (s *Sampler) sampleProcs(out *emitter, cur, prev *counters, dt float64) error {
	procs, err := s.proc.AllProcs()
	if err != nil {
		return err
	}
	cur.procs = make(map[int]procTicks, len(procs))
	for _, p := range procs {
		st, err := p.Stat()
		if err != nil {
			continue // exited, or hidden by hidepid
		}
		cur.procs[p.PID] = procTicks{
			ticks: uint64(st.UTime) + uint64(st.STime), start: st.Starttime,
			comm: st.Comm, rss: st.ResidentMemory(),
		}
	}
	if prev == nil {
		return nil
	}
	type busy struct {
		pid int
		pct float64
		t   procTicks
	}
	var top []busy
	for pid, c := range cur.procs {
		p, ok := prev.procs[pid]
		if !ok || p.start != c.start || c.ticks < p.ticks {
			continue
		}
		top = append(top, busy{pid, float64(c.ticks-p.ticks) / userHZ / dt * 100, c})
	}
	slices.SortFunc(top, func(a, b busy) int { return cmp.Or(cmp.Compare(b.pct, a.pct), cmp.Compare(a.pid, b.pid)) })
	if len(top) > s.cfg.TopProcs {
		top = top[:s.cfg.TopProcs]
	}
	for _, b := range top {
		dev := b.t.comm + "[" + strconv.Itoa(b.pid) + "]"
		out.pct(ProcCPU, dev, b.pct)
		out.size(ProcRSS, dev, float64(b.t.rss))
	}
	return nil
}
