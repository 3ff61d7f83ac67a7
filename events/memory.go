package events

import (
	"context"
	"fmt"
)

// memoryBus delivers events within one process.
type memoryBus struct {
	*hub
}

// NewMemory returns a Bus for one process: Publish hands the event straight
// to this process's subscribers before it returns.
func NewMemory() Bus {
	return &memoryBus{hub: newHub(nil)}
}

// Publish delivers e to the current subscribers. It returns ErrClosed after
// Close, ErrTooLarge for an event PostgreSQL could not carry either, and
// the context's error when ctx is already done.
func (b *memoryBus) Publish(ctx context.Context, e Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish event: %w", err)
	}
	if _, err := encode(e); err != nil {
		return fmt.Errorf("publish event: %w", err)
	}
	if b.isClosed() {
		return ErrClosed
	}
	b.deliver(e)
	return nil
}

// Subscribe returns the events that match filter (nil matches all); see
// Bus.Subscribe.
func (b *memoryBus) Subscribe(ctx context.Context, filter func(Event) bool) (<-chan Event, func()) {
	return b.subscribe(ctx, filter)
}

// Close closes every subscriber's channel. It returns nil.
func (b *memoryBus) Close() error {
	b.close()
	return nil
}
