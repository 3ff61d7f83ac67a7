package auth

import (
	"context"
	"testing"

	"github.com/prioritysupport/backend/models"
)

func TestCallerHas(t *testing.T) {
	tests := []struct {
		name      string
		caller    Caller
		roles     []Role
		wantHas   bool
		wantStaff bool
	}{
		{name: "customer asks customer", caller: Caller{Subject: "u", Roles: []Role{RoleCustomer}}, roles: []Role{RoleCustomer}, wantHas: true},
		{name: "customer asks staff roles", caller: Caller{Subject: "u", Roles: []Role{RoleCustomer}}, roles: []Role{RoleSales, RoleAdmin}},
		{name: "support asks sales or support", caller: Caller{Subject: "s", Roles: []Role{RoleSupport}}, roles: []Role{RoleSales, RoleSupport}, wantHas: true, wantStaff: true},
		{name: "admin asks nothing", caller: Caller{Subject: "a", Roles: []Role{RoleAdmin}}, wantStaff: true},
		{name: "sales is staff", caller: Caller{Subject: "s", Roles: []Role{RoleSales}}, roles: []Role{RoleSales}, wantHas: true, wantStaff: true},
		{name: "no roles", caller: Caller{Subject: "n"}, roles: []Role{RoleCustomer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.caller.Has(tt.roles...); got != tt.wantHas {
				t.Errorf("Has(%v) = %v, want %v", tt.roles, got, tt.wantHas)
			}
			if got := tt.caller.IsStaff(); got != tt.wantStaff {
				t.Errorf("IsStaff() = %v, want %v", got, tt.wantStaff)
			}
		})
	}
}

func TestContextCarriesCaller(t *testing.T) {
	t.Run("empty context", func(t *testing.T) {
		if c, ok := FromContext(context.Background()); ok {
			t.Errorf("FromContext = %+v, true; want false", c)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		roles := []Role{RoleSales}
		ctx := WithCaller(context.Background(), Caller{Subject: "s", Roles: roles, CustomerID: "c"})
		roles[0] = RoleAdmin // must not reach the context
		c, ok := FromContext(ctx)
		if !ok || c.Subject != "s" || c.CustomerID != "c" || len(c.Roles) != 1 || c.Roles[0] != RoleSales {
			t.Fatalf("FromContext = %+v, %v", c, ok)
		}
		c.Roles[0] = RoleAdmin // must not reach the context either
		if again, _ := FromContext(ctx); again.Has(RoleAdmin) {
			t.Errorf("mutating a returned caller changed the context: %+v", again)
		}
	})
	t.Run("empty subject counts as absent", func(t *testing.T) {
		ctx := WithCaller(context.Background(), Caller{Roles: []Role{RoleAdmin}})
		if c, ok := FromContext(ctx); ok {
			t.Errorf("FromContext = %+v, true; want false", c)
		}
	})
}

func TestRequire(t *testing.T) {
	customer := WithCaller(context.Background(), Caller{Subject: "u", Roles: []Role{RoleCustomer}, CustomerID: "c"})
	admin := WithCaller(context.Background(), Caller{Subject: "a", Roles: []Role{RoleAdmin}})
	tests := []struct {
		name     string
		ctx      context.Context
		roles    []Role
		wantCode string // "" means allowed
		wantSub  string
	}{
		{name: "no caller", ctx: context.Background(), roles: []Role{RoleAdmin}, wantCode: models.CodeUnauthenticated},
		{name: "no caller, any role", ctx: context.Background(), wantCode: models.CodeUnauthenticated},
		{name: "customer asks sales or admin", ctx: customer, roles: []Role{RoleSales, RoleAdmin}, wantCode: models.CodeForbidden},
		{name: "customer, any role", ctx: customer, wantSub: "u"},
		{name: "admin asks sales or admin", ctx: admin, roles: []Role{RoleSales, RoleAdmin}, wantSub: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Require(tt.ctx, tt.roles...)
			if got := models.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("Require error %v has code %q, want %q", err, got, tt.wantCode)
			}
			if tt.wantCode == models.CodeUnauthenticated && models.ErrorMessage(err) != "authentication required" {
				t.Errorf("message = %q, want %q", models.ErrorMessage(err), "authentication required")
			}
			if c.Subject != tt.wantSub {
				t.Errorf("Require subject = %q, want %q", c.Subject, tt.wantSub)
			}
		})
	}
}
