package lakeview

import (
	"context"

	"github.com/atlhyper/atlhyper/query/kinds"
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
var Kinds, byPath, byName = index(kinds.Stateful())

func index(reg []kinds.Kind) (all []Kind, byPath, byName map[string]Kind) {
	byPath, byName = map[string]Kind{}, map[string]Kind{}
	for _, k := range reg {
		v := Kind{Path: k.Resource, Kind: k.Name, Table: k.Table, Namespaced: k.Namespaced, Node: k.Has(kinds.FilterNode),
			Phase: k.Has(kinds.FilterPhase), Ready: k.Has(kinds.FilterReady), Owner: k.Has(kinds.FilterOwner)}
		all, byPath[v.Path], byName[v.Kind] = append(all, v), v, v
	}
	return all, byPath, byName
}

// KindByPath finds a kind by its path name.
func KindByPath(path string) (Kind, bool) { k, ok := byPath[path]; return k, ok }

// KindByName finds a kind by its Kubernetes name.
func KindByName(name string) (Kind, bool) { k, ok := byName[name]; return k, ok }

// StateTables are the lake tables holding object state.
var StateTables = kinds.StateTables

// Collection says whether a cluster's agent collects a kind.
type Collection struct {
	Collected bool
	Reason    string // why not, as the agent reports it
}

// Collection reads from the cluster's current state (the agent's, or its
// tail's while watched) whether its agent collects kind. A cluster without
// state yet counts as collecting: nothing says otherwise.
func (v *View) Collection(ctx context.Context, cluster, kind string) (Collection, error) {
	st, err := v.clusterState(ctx, cluster)
	if err != nil {
		return Collection{}, err
	}
	if st.current != nil {
		skipped := st.current.Agent.Skipped
		if hb := st.current.Heartbeat; hb != nil && len(hb.Agent.Skipped) > 0 {
			skipped = hb.Agent.Skipped
		}
		for _, s := range skipped {
			if s.Kind == kind {
				return Collection{Reason: s.Reason}, nil
			}
		}
	}
	return Collection{Collected: true}, nil
}
