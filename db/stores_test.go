package db

import (
	"reflect"
	"testing"
)

// The stores stay small, and their method names stay unique across them:
// app/wire embeds several stores in one use case's Store, where two methods
// of one name would shadow each other (or a store's name one of its
// methods, as Merchants.Merchants once did).
func TestStoresStaySmallAndTheirMethodNamesUnique(t *testing.T) {
	const most = 40
	if n := reflect.TypeFor[*DB]().NumMethod(); n > most {
		t.Errorf("*DB has %d exported methods, want at most %d", n, most)
	}
	st := reflect.TypeFor[stores]()
	owner := map[string]string{}
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Name != f.Type.Name() {
			t.Errorf("field %s holds %s: name each field for its store", f.Name, f.Type.Name())
		}
		if n := f.Type.NumMethod(); n > most || n == 0 {
			t.Errorf("store %s has %d exported methods, want 1 to %d", f.Name, n, most)
		}
		for j := range f.Type.NumMethod() {
			m := f.Type.Method(j).Name
			if prev, ok := owner[m]; ok {
				t.Errorf("%s is a method of both %s and %s", m, prev, f.Name)
			}
			if _, ok := st.FieldByName(m); ok {
				t.Errorf("%s.%s has the name of a store: embedded beside it, one shadows the other", f.Name, m)
			}
			owner[m] = f.Name
		}
	}
	if len(owner) < 100 {
		t.Errorf("the stores hold %d methods in all; did one lose its methods?", len(owner))
	}
}
