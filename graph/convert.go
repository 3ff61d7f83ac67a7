package graph

import (
	"time"

	"github.com/prioritysupport/backend/graph/model"
	"github.com/prioritysupport/backend/store"
)

// deref returns the value p points to, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// optTime returns nil for the zero time, else a pointer to t.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optString returns nil for "", else a pointer to s.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// customerConnection returns the Relay connection of a page of customers.
func customerConnection(p *store.CustomerPage) *model.CustomerConnection {
	conn := &model.CustomerConnection{PageInfo: &model.PageInfo{HasNextPage: p.HasNextPage}, TotalCount: p.TotalCount}
	for i, c := range p.Customers {
		conn.Edges = append(conn.Edges, &model.CustomerEdge{Cursor: p.Cursors[i], Node: c})
	}
	if n := len(p.Cursors); n > 0 {
		conn.PageInfo.EndCursor = &p.Cursors[n-1]
	}
	if conn.Edges == nil {
		conn.Edges = []*model.CustomerEdge{}
	}
	return conn
}
