// Package auth verifies the JWTs that callers present and carries the
// verified caller through the request context.
package auth

import (
	"context"
	"slices"
	"time"

	"github.com/prioritysupport/backend/models"
)

// Role is a role a caller can hold, as carried in the "roles" claim.
type Role string

// The roles the backend knows. Role strings in a token that are not listed
// here are ignored.
const (
	RoleCustomer Role = "customer"
	RoleSales    Role = "sales"
	RoleSupport  Role = "support"
	RoleAdmin    Role = "admin"
)

// knownRole reports whether r is one of the roles above.
func knownRole(r Role) bool {
	switch r {
	case RoleCustomer, RoleSales, RoleSupport, RoleAdmin:
		return true
	}
	return false
}

// Caller is the verified identity of a request.
type Caller struct {
	// Subject is the token's "sub" claim; never empty for a verified caller.
	Subject string
	// Roles holds the known roles from the token's "roles" claim, without
	// duplicates, in token order.
	Roles []Role
	// CustomerID is the token's "customer_id" claim; never empty when Roles
	// contains RoleCustomer.
	CustomerID string
	// ExpiresAt is the token's "exp": a long-lived connection (a GraphQL
	// subscription) ends then.
	ExpiresAt time.Time
}

// Has returns true if the caller holds any of roles, and false when roles is
// empty.
func (c Caller) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(c.Roles, r) {
			return true
		}
	}
	return false
}

// IsStaff returns true if the caller holds the sales, support or admin role.
func (c Caller) IsStaff() bool {
	return c.Has(RoleSales, RoleSupport, RoleAdmin)
}

// callerKey is the context key under which the verified caller is stored.
type callerKey struct{}

// WithCaller returns a copy of ctx that carries c. The roles are copied, so
// later changes to c.Roles do not reach the context.
func WithCaller(ctx context.Context, c Caller) context.Context {
	c.Roles = slices.Clone(c.Roles)
	return context.WithValue(ctx, callerKey{}, c)
}

// FromContext returns the caller carried by ctx and true, or the zero Caller
// and false when ctx carries none (an anonymous request) or the caller it
// carries has an empty subject. The returned roles are a copy.
func FromContext(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	if !ok || c.Subject == "" {
		return Caller{}, false
	}
	c.Roles = slices.Clone(c.Roles)
	return c, true
}

// Require returns the caller carried by ctx if it holds any of roles; with
// no roles given, any authenticated caller passes. It returns an
// UNAUTHENTICATED *models.Error ("authentication required") when ctx carries
// no caller, and a FORBIDDEN *models.Error when the caller holds none of
// roles.
func Require(ctx context.Context, roles ...Role) (Caller, error) {
	c, ok := FromContext(ctx)
	if !ok {
		return Caller{}, models.Errorf(models.CodeUnauthenticated, "authentication required")
	}
	if len(roles) > 0 && !c.Has(roles...) {
		return Caller{}, models.Errorf(models.CodeForbidden, "permission denied")
	}
	return c, nil
}
