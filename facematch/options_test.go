package facematch

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestOptionsRefuseNonFinite: facematch refuses NaN and infinite options itself, at
// construction, whatever the caller validated (defence in depth). Every float field
// of Options is tried, found by reflection so a new one is covered too.
func TestOptionsRefuseNonFinite(t *testing.T) {
	typ := reflect.TypeOf(Options{})
	n := 0
	for i := 0; i < typ.NumField(); i++ {
		field := typ.Field(i)
		if field.Type.Kind() != reflect.Float64 {
			continue
		}
		n++
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			t.Run(field.Name+"="+formatFloat(bad), func(t *testing.T) {
				o := DefaultOptions()
				reflect.ValueOf(&o).Elem().Field(i).SetFloat(bad)
				err := o.Validate()
				if err == nil || !strings.Contains(err.Error(), field.Name) {
					t.Fatalf("Validate() = %v, want an error naming %s", err, field.Name)
				}
				// NewEngine refuses before it looks for models.
				_, err = NewEngine(t.TempDir(), o)
				if err == nil || errors.Is(err, ErrModelMissing) || !strings.Contains(err.Error(), field.Name) {
					t.Fatalf("NewEngine = %v, want the options refused", err)
				}
			})
		}
	}
	if n < 10 {
		t.Fatalf("only %d float options found", n)
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	default:
		return "-Inf"
	}
}
