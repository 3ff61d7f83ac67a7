package scalar

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/prioritysupport/backend/bizhours"
	"github.com/prioritysupport/backend/models"
)

// MarshalMonth writes a month ("YYYY-MM") as the plain string it is.
func MarshalMonth(m string) graphql.Marshaler { return graphql.MarshalString(m) }

// UnmarshalMonth reads a Month: a string "YYYY-MM" naming a month from
// 0001-01 to 9999-12 (bizhours.ParseMonth). Anything else is a
// BAD_USER_INPUT *models.Error.
func UnmarshalMonth(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", models.Errorf(models.CodeBadUserInput, "a Month must be a string YYYY-MM, like \"2026-11\"")
	}
	if len(s) != len("2026-11") {
		return "", models.Errorf(models.CodeBadUserInput, "a Month must be YYYY-MM, like \"2026-11\"")
	}
	if _, _, err := bizhours.ParseMonth(s); err != nil {
		return "", models.Errorf(models.CodeBadUserInput, "%q is not a Month: a Month is YYYY-MM, like \"2026-11\"", s)
	}
	return s, nil
}

// MarshalCurrency writes a currency as the plain ISO 4217 code it is
// stored as, e.g. "USD": the schema's Currency enum names the codes.
func MarshalCurrency(code string) graphql.Marshaler { return graphql.MarshalString(code) }

// UnmarshalCurrency reads a Currency enum value: one of Currencies. Anything
// else is a BAD_USER_INPUT *models.Error.
func UnmarshalCurrency(v any) (string, error) {
	s, ok := v.(string)
	if ok {
		for _, c := range Currencies {
			if s == c {
				return s, nil
			}
		}
	}
	return "", models.Errorf(models.CodeBadUserInput, "a Currency must be one of the ISO 4217 codes the schema lists, like \"USD\"")
}

// Currencies are the ISO 4217 codes of the schema's Currency enum.
var Currencies = []string{"USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK", "NOK", "DKK"}
