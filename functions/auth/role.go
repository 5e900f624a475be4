package auth

import "fmt"

// Role is a user's role. Each role has every right of the ones below it.
type Role string

const (
	Viewer   Role = "viewer"
	Operator Role = "operator"
	Admin    Role = "admin"
)

// Level orders roles; an unknown role has level 0 and passes no check.
func (r Role) Level() int {
	switch r {
	case Viewer:
		return 1
	case Operator:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Allows reports whether r has at least the rights of need.
func (r Role) Allows(need Role) bool { return r.Level() > 0 && r.Level() >= need.Level() }

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if r.Level() == 0 {
		return "", fmt.Errorf("unknown role %q: want viewer, operator or admin", s)
	}
	return r, nil
}
