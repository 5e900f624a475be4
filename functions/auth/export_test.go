package auth

import "sync/atomic"

// CountCompares makes s count its password comparisons.
func CountCompares(s *Service) *atomic.Int64 {
	s.compared = new(atomic.Int64)
	return s.compared
}
