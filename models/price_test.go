package models_test

import (
	"testing"

	"github.com/prioritysupport/backend/models"
)

func TestMonthlyFee(t *testing.T) {
	if want := (models.Money{Cents: 80000, Currency: "USD"}); models.MonthlyFee != want {
		t.Fatalf("MonthlyFee = %+v, want %+v", models.MonthlyFee, want)
	}
}

func TestAnnualFee(t *testing.T) {
	tests := []struct {
		name    string
		monthly models.Money
		want    models.Money
	}{
		{"list price", models.MonthlyFee, models.Money{Cents: 960000, Currency: "USD"}},
		{"currency kept", models.Money{Cents: 100, Currency: "EUR"}, models.Money{Cents: 1200, Currency: "EUR"}},
		{"odd cents", models.Money{Cents: 33333, Currency: "USD"}, models.Money{Cents: 399996, Currency: "USD"}},
		{"zero", models.Money{Cents: 0, Currency: "USD"}, models.Money{Cents: 0, Currency: "USD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.AnnualFee(tt.monthly); got != tt.want {
				t.Fatalf("AnnualFee(%+v) = %+v, want %+v", tt.monthly, got, tt.want)
			}
		})
	}
}
