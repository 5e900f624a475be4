package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Session is one login, stored at _sys/auth/sessions/<id>.json. It holds
// the id of the only refresh token that may be used next: refresh tokens
// rotate on every use, and presenting an old one (a stolen copy, replayed)
// revokes the session.
type Session struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	UserID    string    `json:"user_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"` // absolute end, whatever the refreshes
	RefreshID string    `json:"refresh_id"`
	// PreviousID is the refresh token rotated out last, at RotatedAt: two
	// tabs refreshing at once present it within a few seconds, which is
	// refused without revoking the session.
	PreviousID string    `json:"previous_id,omitempty"`
	RotatedAt  time.Time `json:"rotated_at"`
	Revoked    bool      `json:"revoked"`
	RevokedWhy string    `json:"revoked_why,omitempty"`
	SourceIP   string    `json:"source_ip,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
}

const sessionsPrefix = lake.SysPrefix + "auth/sessions/"

// Session ids start with their creation day and the first characters of
// the user's ID (20261125-<tag><random>) and live under that day's prefix,
// so whole expired days can be removed without listing live sessions (see
// gc), and one user's sessions are found with a LIST per day.
var sessionIDRE = regexp.MustCompile(`^(\d{8})-[A-Za-z0-9_-]{16,64}$`)

const userTagLen = 11

func userTag(userID string) string {
	if len(userID) < userTagLen {
		return ""
	}
	return userID[:userTagLen]
}

func newSessionID(now time.Time, userID string) string {
	return now.UTC().Format("20060102") + "-" + userTag(userID) + randomID()
}

func sessionKey(id string) string {
	m := sessionIDRE.FindStringSubmatch(id)
	return sessionsPrefix + m[1] + "/" + id + ".json"
}

// ErrSessionNotFound is returned for an unknown or removed session.
var ErrSessionNotFound = errors.New("session not found")

type sessions struct {
	b store.Bucket
}

func (s *sessions) get(ctx context.Context, id string) (Session, string, error) {
	if !sessionIDRE.MatchString(id) {
		return Session{}, "", ErrSessionNotFound
	}
	data, info, err := s.b.Get(ctx, sessionKey(id), "")
	if store.IsNotFound(err) {
		return Session{}, "", ErrSessionNotFound
	}
	if err != nil {
		return Session{}, "", fmt.Errorf("read session: %w", err)
	}
	var ss Session
	if err := json.Unmarshal(data, &ss); err != nil || ss.ID != id {
		return Session{}, "", fmt.Errorf("session object %s is corrupt", sessionKey(id))
	}
	return ss, info.ETag, nil
}

func (s *sessions) create(ctx context.Context, ss Session) error {
	data, err := json.Marshal(ss)
	if err != nil {
		return err
	}
	if _, err := s.b.Put(ctx, sessionKey(ss.ID), data, store.IfAbsent); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// update applies fn with compare-and-swap. fn returning errStop ends the
// loop without writing.
func (s *sessions) update(ctx context.Context, id string, fn func(*Session) error) (Session, error) {
	if !sessionIDRE.MatchString(id) {
		return Session{}, ErrSessionNotFound
	}
	var seen Session
	ss, _, err := store.UpdateN(ctx, s.b, sessionKey(id), casAttempts, func(ss *Session, exists bool) error {
		if !exists {
			return ErrSessionNotFound
		}
		if ss.ID != id {
			return fmt.Errorf("session object %s is corrupt", sessionKey(id))
		}
		err := fn(ss)
		seen = *ss
		return err
	})
	if err != nil {
		return seen, err
	}
	return ss, nil
}

// remove deletes a session (logout, reuse detected).
func (s *sessions) remove(ctx context.Context, id string) error {
	if !sessionIDRE.MatchString(id) {
		return nil
	}
	return s.b.Delete(ctx, sessionKey(id))
}

// removeUser deletes every session of the user with this ID (when the
// user is deleted): a LIST per day a session can live, then a GET and a
// DELETE per session found.
func (s *sessions) removeUser(ctx context.Context, username, userID string, now time.Time) error {
	tag := userTag(userID)
	if tag == "" {
		return nil
	}
	var errs []error
	for d := 0; d <= int(SessionMaxAge/(24*time.Hour))+1; d++ {
		day := now.AddDate(0, 0, -d).UTC().Format("20060102")
		infos, err := store.ListAll(ctx, s.b, sessionsPrefix+day+"/"+day+"-"+tag)
		if err != nil {
			return err
		}
		for _, info := range infos {
			id := strings.TrimSuffix(info.Key[strings.LastIndexByte(info.Key, '/')+1:], ".json")
			ss, _, err := s.get(ctx, id)
			if err != nil || ss.Username != username || ss.UserID != userID {
				continue
			}
			if err := s.remove(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// gcDays removes what lives under day-named prefixes older than keep: the
// sessions (which end at most SessionMaxAge after creation). It looks at a
// bounded range of days, so it costs a few LISTs whatever the number of
// live sessions.
func gcDays(ctx context.Context, b store.Bucket, prefix string, now time.Time, keep time.Duration) error {
	for d := 0; d < 30; d++ {
		day := now.Add(-keep).AddDate(0, 0, -d).UTC().Format("20060102")
		infos, err := store.ListAll(ctx, b, prefix+day+"/")
		if err != nil {
			return err
		}
		for _, info := range infos {
			if err := b.Delete(ctx, info.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
