package inbound

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// errReplayed is returned (inside the ingestion's transaction, rolling it
// back) when a signature token was used before.
var errReplayed = errors.New("signature token used before")

// tokenPruneEvery is how often expired tokens are deleted, at most.
const tokenPruneEvery = time.Minute

// maxTokenLen bounds a signature token: Mailgun's are 50 characters.
const maxTokenLen = 200

// tokens remembers the signature tokens of one provider in webhook_tokens
// until they expire, so every replica refuses a replayed request.
type tokens struct {
	db        *bun.DB
	provider  string
	lastPrune atomic.Int64 // unix nanoseconds of the last prune
}

// seen reports whether token is remembered and not expired at now.
func (t *tokens) seen(ctx context.Context, token string, now time.Time) (bool, error) {
	n, err := t.db.NewSelect().TableExpr("webhook_tokens").
		Where("provider = ? AND token = ? AND expires_at >= ?", t.provider, token, now.UTC()).
		Count(ctx)
	if err != nil {
		return false, fmt.Errorf("webhook token: %w", err)
	}
	return n > 0, nil
}

// remember records token until expires on db (the ingestion's
// transaction, so a message that is not stored does not use its token
// up). It returns errReplayed when the token is remembered already and
// has not expired; an expired row is taken over.
func (t *tokens) remember(ctx context.Context, db bun.IDB, token string, now, expires time.Time) error {
	res, err := db.NewRaw(`INSERT INTO webhook_tokens AS wt (provider, token, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (provider, token) DO UPDATE SET expires_at = excluded.expires_at WHERE wt.expires_at < ?`,
		t.provider, token, expires.UTC(), now.UTC()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("webhook token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("webhook token: %w", err)
	} else if n == 0 {
		return errReplayed
	}
	return nil
}

// prune deletes the expired tokens of every provider, at most once per
// tokenPruneEvery per process. It reports whether it ran.
func (t *tokens) prune(ctx context.Context, now time.Time) (bool, error) {
	last := t.lastPrune.Load()
	if now.UnixNano()-last < int64(tokenPruneEvery) || !t.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return false, nil
	}
	_, err := t.db.NewDelete().TableExpr("webhook_tokens").Where("expires_at < ?", now.UTC()).Exec(ctx)
	if err != nil {
		return true, fmt.Errorf("prune webhook tokens: %w", err)
	}
	return true, nil
}
