package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// AgentSamplesKey is where SampleAgents keeps the agents' request counters.
const AgentSamplesKey = lake.SysPrefix + "usage/agents.json"

// AgentSamples are the request counters of every cluster's agent as its
// heartbeats reported them, about once an hour, over the last
// HistoryWindow. A heartbeat's counters run from the agent's start, so
// one heartbeat says what the agent did on average since it started; two
// samples say what it did between them — what the last day cost.
type AgentSamples struct {
	Clusters map[string][]AgentSample `json:"clusters"`
}

// AgentSample is one heartbeat's counters.
type AgentSample struct {
	TS        time.Time      `json:"ts"` // the heartbeat's time
	Instance  string         `json:"instance"`
	StartedAt time.Time      `json:"started_at"`
	Requests  store.Requests `json:"requests"`
}

// SampleAgents reads every registered cluster's heartbeat (one LIST and a
// GET per cluster) and appends its counters to the stored samples,
// dropping samples older than HistoryWindow and clusters with none left.
// Heartbeats without counters (older agents) are skipped. It returns how
// many agents it sampled.
func SampleAgents(ctx context.Context, b store.Bucket, now time.Time) (int, error) {
	clusters, err := lake.Clusters(ctx, b)
	if err != nil {
		return 0, fmt.Errorf("clusters: %w", err)
	}
	var all AgentSamples
	data, _, err := b.Get(ctx, AgentSamplesKey, "")
	switch {
	case err == nil:
		if json.Unmarshal(data, &all) != nil {
			all = AgentSamples{} // unreadable: start again
		}
	case !store.IsNotFound(err):
		return 0, err
	}
	if all.Clusters == nil {
		all.Clusters = map[string][]AgentSample{}
	}
	sampled := 0
	cutoff := now.Add(-HistoryWindow)
	for _, id := range clusters {
		var cur lake.CurrentState
		found, err := GetJSON(ctx, b, lake.ClusterKey(id, lake.CurrentKey), &cur)
		if store.IsUnavailable(err) {
			return sampled, err
		}
		if err != nil || !found || cur.Heartbeat == nil || cur.Heartbeat.Requests == nil || cur.Heartbeat.TS.Before(cutoff) {
			continue // no (readable or recent) heartbeat, or no counters in it
		}
		hb := cur.Heartbeat
		s := all.Clusters[id]
		if len(s) > 0 && !hb.TS.After(s[len(s)-1].TS) {
			continue // the agent is silent: nothing new
		}
		all.Clusters[id] = append(s, AgentSample{TS: hb.TS.UTC(), Instance: hb.Agent.Instance, StartedAt: hb.Agent.StartedAt.UTC(), Requests: *hb.Requests})
		sampled++
	}
	for id, s := range all.Clusters {
		kept := s[:0]
		for _, x := range s {
			if !x.TS.Before(cutoff) {
				kept = append(kept, x)
			}
		}
		if len(kept) == 0 {
			delete(all.Clusters, id)
		} else {
			all.Clusters[id] = kept
		}
	}
	return sampled, putJSON(ctx, b, AgentSamplesKey, all)
}
