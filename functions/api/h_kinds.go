package api

import "context"

// collected adds to a list response whether the cluster's agent collects
// kind: a kind it skips (left out by configuration, API not served, RBAC
// forbidden) lists as "not collected" with the agent's reason, never as
// an empty list that looks like "none".
func (s *Server) collected(ctx context.Context, cluster, kind string, extra map[string]any) error {
	c, err := s.cfg.View.Collection(ctx, cluster, kind)
	if err != nil {
		return err
	}
	extra["collected"] = c.Collected
	if !c.Collected {
		extra["not_collected_reason"] = c.Reason
	}
	return nil
}
