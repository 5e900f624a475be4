package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/atlhyper/atlhyper/functions/audit"
	"github.com/atlhyper/atlhyper/functions/auth"
)

type tokenResponse struct {
	AccessToken      string   `json:"access_token"`
	TokenType        string   `json:"token_type"`
	ExpiresIn        int      `json:"expires_in"`
	RefreshToken     string   `json:"refresh_token"`
	RefreshExpiresIn int      `json:"refresh_expires_in"`
	User             userView `json:"user"`
}

type userView struct {
	Username          string     `json:"username"`
	Role              auth.Role  `json:"role"`
	Disabled          bool       `json:"disabled"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	PasswordChangedAt *time.Time `json:"password_changed_at,omitempty"`
	CreatedBy         string     `json:"created_by,omitempty"`
}

func viewUser(u auth.User) userView {
	v := userView{Username: u.Username, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, CreatedBy: u.CreatedBy}
	if !u.PasswordChangedAt.IsZero() {
		t := u.PasswordChangedAt
		v.PasswordChangedAt = &t
	}
	return v
}

func tokens(t auth.Tokens) tokenResponse {
	return tokenResponse{AccessToken: t.Access, TokenType: "Bearer", ExpiresIn: int(t.AccessTTL.Seconds()),
		RefreshToken: t.Refresh, RefreshExpiresIn: int(t.RefreshTTL.Seconds()), User: viewUser(t.User)}
}

func (s *Server) login(_ http.ResponseWriter, r *http.Request) (any, error) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if body.Username == "" || body.Password == "" || len(body.Username) > 64 || len(body.Password) > 1024 {
		return nil, badRequest("username and password are required (username ≤ 64, password ≤ 1024 bytes)")
	}
	name := auth.NormalizeUsername(body.Username)
	t, res, err := s.cfg.Auth.Login(r.Context(), name, body.Password, s.sourceIP(r), r.UserAgent())
	// Refused logins are counted in the store's failure counters, not
	// audited one by one (an attacker must not buy an audit object per
	// request); a lockout's start is audited, and every login that
	// succeeds, before its token is sent.
	if aerr := s.recordLockouts(r, "user/"+name, res.Lockouts); aerr != nil {
		return nil, errAudit
	}
	if err != nil {
		return nil, err
	}
	params := map[string]any{"reason": res.Reason}
	if res.RecentFailures > 0 {
		params["recent_failures"] = res.RecentFailures
	}
	if aerr := s.recordAs(r, name, t.User.Role, "login", "user/"+name, params, audit.OK, http.StatusOK); aerr != nil {
		return nil, errAudit // no token without its audit record
	}
	return tokens(t), nil
}

// recordLockouts writes one audit record per lockout an attempt began
// (what the failure counter knew: failures in the window, first and last
// failure, total, hashed sources, when the lock ends).
func (s *Server) recordLockouts(r *http.Request, target string, ls []auth.Lockout) error {
	for _, l := range ls {
		t := target
		if l.Scope == "ip" {
			t = "ip/" + s.sourceIP(r)
		}
		params := map[string]any{"scope": l.Scope, "failures": l.Failures, "count": l.Count, "first": l.First, "last": l.Last,
			"until": l.Until, "sources": l.Sources}
		if err := s.recordAs(r, strings.TrimPrefix(target, "user/"), "", "auth.lockout", t, params, audit.Denied, http.StatusTooManyRequests); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) refresh(_ http.ResponseWriter, r *http.Request) (any, error) {
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if body.RefreshToken == "" {
		return nil, badParam("refresh_token", "refresh_token is required")
	}
	t, err := s.cfg.Auth.Refresh(r.Context(), body.RefreshToken, s.sourceIP(r))
	if err != nil {
		return nil, err
	}
	return tokens(t), nil
}

func (s *Server) logout(_ http.ResponseWriter, r *http.Request) (any, error) {
	var body struct {
		All bool `json:"all"`
	}
	if r.ContentLength != 0 && r.Header.Get("Content-Type") != "" {
		if err := decode(r, &body); err != nil {
			return nil, err
		}
	}
	p, _ := principal(r.Context())
	err := s.cfg.Auth.Logout(r.Context(), p, body.All)
	status := http.StatusNoContent
	if err != nil {
		status = classify(err, false).Status
	}
	if aerr := s.record(r, "logout", "user/"+p.Username, map[string]any{"all": body.All}, outcomeOf(status), status); aerr != nil && err == nil {
		return nil, errAudit
	}
	if err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func (s *Server) me(_ http.ResponseWriter, r *http.Request) (any, error) {
	p, _ := principal(r.Context())
	u, err := s.cfg.Auth.Users.Get(r.Context(), p.Username)
	if err != nil {
		return nil, err
	}
	return viewUser(u), nil
}

func (s *Server) changePassword(_ http.ResponseWriter, r *http.Request) (any, error) {
	var body struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	p, _ := principal(r.Context())
	res, err := s.cfg.Auth.ChangePassword(r.Context(), p, body.Current, body.New, s.sourceIP(r))
	if aerr := s.recordLockouts(r, "user/"+p.Username, res.Lockouts); aerr != nil {
		return nil, errAudit
	}
	status := http.StatusNoContent
	if err != nil {
		status = classify(err, false).Status
		if errors.Is(err, auth.ErrBadCredentials) {
			status = http.StatusForbidden
			err = &apiError{Status: http.StatusForbidden, Code: "forbidden", Field: "current_password", Message: "the current password is wrong"}
		}
	}
	// Wrong guesses are counted like failed logins, not audited one by
	// one; a change made with the right current password is, whatever
	// its outcome.
	if res.Reason == "ok" || res.Reason == "weak" || res.Reason == "error" {
		if aerr := s.record(r, "user.password", "user/"+p.Username, nil, outcomeOf(status), status); aerr != nil {
			return nil, errAudit
		}
	}
	if err != nil {
		return nil, err
	}
	return noContent{}, nil
}

// --- users (admin)

func (s *Server) usernameParam(r *http.Request) (string, *apiError) {
	name := chi.URLParam(r, "username")
	if auth.ValidUsername(name) != nil {
		return "", badParam("username", "invalid username")
	}
	return name, nil
}

func (s *Server) listUsers(_ http.ResponseWriter, r *http.Request) (any, error) {
	users, err := s.cfg.Auth.Users.List(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]userView, len(users))
	for i, u := range users {
		out[i] = viewUser(u)
	}
	return map[string]any{"items": out}, nil
}

func (s *Server) getUser(_ http.ResponseWriter, r *http.Request) (any, error) {
	name, perr := s.usernameParam(r)
	if perr != nil {
		return nil, perr
	}
	u, err := s.cfg.Auth.Users.Get(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return viewUser(u), nil
}

// audited runs a state change, records it, and answers (with status, or
// 204 when body is nil). A change whose record cannot be written answers
// 503 (the change itself stands; it is logged as an error).
func (s *Server) audited(r *http.Request, action, target string, params map[string]any, do func() (int, any, error)) (any, error) {
	status, body, err := do()
	if err != nil {
		status = classify(err, false).Status
	}
	if aerr := s.record(r, action, target, params, outcomeOf(status), status); aerr != nil {
		return nil, errAudit
	}
	switch {
	case err != nil:
		return nil, err
	case body == nil:
		return noContent{}, nil
	case status == http.StatusOK:
		return body, nil
	}
	return withStatus{status, body}, nil
}

func (s *Server) createUser(_ http.ResponseWriter, r *http.Request) (any, error) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	name := auth.NormalizeUsername(body.Username)
	params := map[string]any{"username": name, "role": body.Role, "password": body.Password}
	p, _ := principal(r.Context())
	return s.audited(r, "user.create", "user/"+name, params, func() (int, any, error) {
		if err := auth.ValidUsername(name); err != nil {
			return 0, nil, badParam("username", "%s", err.Error())
		}
		role, err := auth.ParseRole(body.Role)
		if err != nil {
			return 0, nil, badParam("role", "%s", err.Error())
		}
		u, err := s.cfg.Auth.CreateUser(r.Context(), name, body.Password, role, p.Username)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, viewUser(u), nil
	})
}

func (s *Server) updateUser(_ http.ResponseWriter, r *http.Request) (any, error) {
	name, perr := s.usernameParam(r)
	if perr != nil {
		return nil, perr
	}
	var body struct {
		Role     *string `json:"role"`
		Disabled *bool   `json:"disabled"`
		Password *string `json:"password"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	params := map[string]any{}
	if body.Role != nil {
		params["role"] = *body.Role
	}
	if body.Disabled != nil {
		params["disabled"] = *body.Disabled
	}
	if body.Password != nil {
		params["password"] = "set"
	}
	return s.audited(r, "user.update", "user/"+name, params, func() (int, any, error) {
		if body.Role == nil && body.Disabled == nil && body.Password == nil {
			return 0, nil, badRequest("nothing to change: give role, disabled or password")
		}
		var role auth.Role
		if body.Role != nil {
			var err error
			if role, err = auth.ParseRole(*body.Role); err != nil {
				return 0, nil, badParam("role", "%s", err.Error())
			}
		}
		var hash string
		if body.Password != nil {
			if err := auth.CheckPassword(name, *body.Password); err != nil {
				return 0, nil, err
			}
			var err error
			if hash, err = auth.HashPassword(*body.Password, s.cfg.Auth.BcryptCost()); err != nil {
				return 0, nil, err
			}
		}
		u, err := s.cfg.Auth.Users.Update(r.Context(), name, func(u *auth.User) error {
			if body.Role != nil {
				u.Role = role
			}
			if body.Disabled != nil {
				if *body.Disabled && !u.Disabled {
					u.Generation++ // end every session now, not at token expiry
				}
				u.Disabled = *body.Disabled
			}
			if hash != "" {
				u.PasswordHash, u.PasswordChangedAt = hash, s.cfg.Now().UTC()
				u.Generation++
			}
			return nil
		})
		s.cfg.Auth.Forget(name)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, viewUser(u), nil
	})
}

func (s *Server) deleteUser(_ http.ResponseWriter, r *http.Request) (any, error) {
	name, perr := s.usernameParam(r)
	if perr != nil {
		return nil, perr
	}
	return s.audited(r, "user.delete", "user/"+name, nil, func() (int, any, error) {
		return http.StatusNoContent, nil, s.cfg.Auth.DeleteUser(r.Context(), name)
	})
}
