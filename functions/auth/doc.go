// Package auth is AtlHyper's authentication and authorisation: users with
// bcrypt password hashes and roles, kept in the object store (one small JSON
// object per user, updated only by compare-and-swap), sessions with
// single-use rotating refresh tokens, short-lived HS256 access tokens, and
// login rate limiting whose failure counters also live in the store so that
// the limit holds across any number of stateless instances.
//
// Everything here is safe for concurrent use by many instances at once: no
// instance holds state that another needs. Instances cache user and session
// objects for at most CacheTTL (30 s), which bounds how long a disabled,
// demoted or logged-out user keeps access.
//
// It never stores or logs a password, a hash outside the user object, or a
// token.
package auth
