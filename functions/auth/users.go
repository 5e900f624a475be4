package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// User is one user object, stored at _sys/auth/users/<username>.json.
type User struct {
	// ID is the account's random identity, carried in its tokens: a user
	// deleted and created again under the same name is another account,
	// and the old one's tokens stay dead. Empty only for users created
	// before IDs existed; their first login gives them one.
	ID                string    `json:"id,omitempty"`
	Username          string    `json:"username"`
	Role              Role      `json:"role"`
	PasswordHash      string    `json:"password_hash"`
	Disabled          bool      `json:"disabled"`
	Generation        int64     `json:"generation"` // bumped to revoke every token of the user
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	PasswordChangedAt time.Time `json:"password_changed_at"`
	CreatedBy         string    `json:"created_by,omitempty"`
}

// Errors callers branch on.
var (
	ErrUserNotFound = errors.New("user not found")
	ErrUserExists   = errors.New("user exists")
	ErrLastAdmin    = errors.New("the last enabled admin cannot be demoted, disabled or deleted")
	ErrConflict     = store.ErrConflict
)

const usersPrefix = lake.SysPrefix + "auth/users/"

func userKey(username string) string { return usersPrefix + username + ".json" }

// Users is the user store.
type Users struct {
	b   store.Bucket
	now func() time.Time
}

func (u *Users) get(ctx context.Context, username string) (User, string, error) {
	data, info, err := u.b.Get(ctx, userKey(username), "")
	if store.IsNotFound(err) {
		return User{}, "", ErrUserNotFound
	}
	if err != nil {
		return User{}, "", fmt.Errorf("read user %s: %w", username, err)
	}
	var usr User
	if err := json.Unmarshal(data, &usr); err != nil || usr.Username != username || usr.Role.Level() == 0 {
		return User{}, "", fmt.Errorf("user object %s is corrupt", userKey(username))
	}
	return usr, info.ETag, nil
}

// Get reads one user.
func (u *Users) Get(ctx context.Context, username string) (User, error) {
	usr, _, err := u.get(ctx, username)
	return usr, err
}

// List reads every user, sorted by name.
func (u *Users) List(ctx context.Context) ([]User, error) {
	infos, err := store.ListAll(ctx, u.b, usersPrefix)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var out []User
	for _, info := range infos {
		name, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, usersPrefix), ".json")
		if !ok || ValidUsername(name) != nil {
			continue
		}
		usr, err := u.Get(ctx, name)
		if errors.Is(err, ErrUserNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, usr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out, nil
}

// Create writes a new user, failing with ErrUserExists if the name is taken.
func (u *Users) Create(ctx context.Context, usr User) (User, error) {
	now := u.now().UTC()
	usr.CreatedAt, usr.UpdatedAt, usr.PasswordChangedAt = now, now, now
	usr.Generation = 1
	usr.ID = randomID()
	data, err := json.Marshal(usr)
	if err != nil {
		return User{}, err
	}
	_, err = u.b.Put(ctx, userKey(usr.Username), data, store.IfAbsent)
	if store.IsPreconditionFailed(err) {
		return User{}, ErrUserExists
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", usr.Username, err)
	}
	return usr, nil
}

// Update applies fn to the stored user with compare-and-swap, retrying
// when another instance changed the object in between, so no update is
// ever lost. fn may be called more than once.
func (u *Users) Update(ctx context.Context, username string, fn func(*User) error) (User, error) {
	usr, _, err := store.UpdateN(ctx, u.b, userKey(username), casAttempts, func(usr *User, exists bool) error {
		if !exists {
			return ErrUserNotFound
		}
		if usr.Username != username || usr.Role.Level() == 0 {
			return fmt.Errorf("user object %s is corrupt", userKey(username))
		}
		before := *usr
		if err := fn(usr); err != nil {
			return err
		}
		if removesAdmin(before, *usr) {
			if err := u.ensureOtherAdmin(ctx, username); err != nil {
				return err
			}
		}
		usr.UpdatedAt = u.now().UTC()
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return usr, nil
}

// Delete removes a user; the last enabled admin cannot be deleted.
func (u *Users) Delete(ctx context.Context, username string) error {
	usr, _, err := u.get(ctx, username)
	if err != nil {
		return err
	}
	if usr.Role == Admin && !usr.Disabled {
		if err := u.ensureOtherAdmin(ctx, username); err != nil {
			return err
		}
	}
	if err := u.b.Delete(ctx, userKey(username)); err != nil {
		return fmt.Errorf("delete user %s: %w", username, err)
	}
	return nil
}

func removesAdmin(before, after User) bool {
	wasAdmin := before.Role == Admin && !before.Disabled
	isAdmin := after.Role == Admin && !after.Disabled
	return wasAdmin && !isAdmin
}

// ensureOtherAdmin fails unless an enabled admin other than username exists.
// Two admins demoting each other at the same instant on two instances can
// still both succeed; then the break-glass recovery (Service.Recover, the
// api binary's "admin" command) makes an admin again.
func (u *Users) ensureOtherAdmin(ctx context.Context, username string) error {
	all, err := u.List(ctx)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Username != username && o.Role == Admin && !o.Disabled {
			return nil
		}
	}
	return ErrLastAdmin
}

// casAttempts bounds compare-and-swap retries; with jittered exponential
// backoff (up to ~256 ms) dozens of writers racing on one object all get
// through. Past it the caller gets ErrConflict, never a lost update.
const casAttempts = 25
