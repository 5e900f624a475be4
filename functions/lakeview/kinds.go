package lakeview

import (
	"context"

	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
)

// Kind is one collected Kubernetes kind as the API lists and details it:
// the registry's entry (query/kinds) seen from the lake.
type Kind struct {
	Path       string // resource path name: pods, deployments, …
	Kind       string // Kubernetes kind: Pod, Deployment, …
	Table      string // lake table holding its state
	Namespaced bool
	// Filters the list route accepts beyond the common ones.
	Node, Phase, Ready, Owner bool
}

// Kinds lists every kind with list and detail routes, in display order:
// every kind of the registry with state rows.
var Kinds = func() []Kind {
	var out []Kind
	for _, k := range kinds.Stateful() {
		out = append(out, Kind{Path: k.Resource, Kind: k.Name, Table: k.Table, Namespaced: k.Namespaced,
			Node: k.Has(kinds.FilterNode), Phase: k.Has(kinds.FilterPhase), Ready: k.Has(kinds.FilterReady),
			Owner: k.Has(kinds.FilterOwner)})
	}
	return out
}()

// KindByPath finds a kind by its path name.
func KindByPath(path string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Path == path {
			return k, true
		}
	}
	return Kind{}, false
}

// KindByName finds a kind by its Kubernetes name.
func KindByName(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Kind == name {
			return k, true
		}
	}
	return Kind{}, false
}

// StateTables are the lake tables holding object state.
var StateTables = kinds.StateTables

// Collection says whether a cluster's agent collects a kind.
type Collection struct {
	Collected bool
	Reason    string // why not, as the agent reports it
}

// Collection reads from the cluster's latest heartbeat whether its agent
// collects kind. A cluster without a heartbeat yet counts as collecting:
// nothing says otherwise.
func (v *View) Collection(ctx context.Context, cluster, kind string) (Collection, error) {
	hb, err := getSmall[lake.HeartbeatState](ctx, v.fleet, lake.ClusterKey(cluster, lake.HeartbeatKey))
	if err != nil {
		return Collection{}, err
	}
	if hb != nil {
		for _, s := range hb.Agent.Skipped {
			if s.Kind == kind {
				return Collection{Reason: s.Reason}, nil
			}
		}
	}
	return Collection{Collected: true}, nil
}
