package loadgen

import (
	"slices"
	"testing"
	"time"
)

// Percentiles are nearest-rank over the sorted sample, whatever order it
// came in.
func TestSummarizeIsNearestRank(t *testing.T) {
	var sample []time.Duration
	for i := 100; i >= 1; i-- {
		sample = append(sample, time.Duration(i)*time.Millisecond)
	}
	s := summarize(sample)
	if s.Count != 100 || s.P50 != 50 || s.P95 != 95 || s.P99 != 99 || s.Max != 100 || s.Mean != 50.5 {
		t.Fatalf("%+v", s)
	}
	if one := summarize([]time.Duration{7 * time.Millisecond}); one.P50 != 7 || one.P99 != 7 {
		t.Fatalf("one sample: %+v", one)
	}
	if (summarize(nil) != Summary{}) {
		t.Fatal("an empty sample summarises to zero")
	}
}

func TestMixSpreadsKindsByWeight(t *testing.T) {
	mix, err := ParseMix("online=3, card=1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range 8 {
		got = append(got, kindOf(mix, i))
	}
	if n := len(slices.DeleteFunc(slices.Clone(got), func(k string) bool { return k != KindCard })); n != 2 {
		t.Fatalf("%v: want 2 card returns of 8", got)
	}
	only, _ := ParseMix("online=1")
	if kindOf(only, 0) != KindOnline || kindOf(only, 5) != KindOnline {
		t.Fatal("online only")
	}
	for _, bad := range []string{"online", "boat=1", "online=-1", "online=0,card=0", "card=x"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("%q taken", bad)
		}
	}
}

// A refund a simulator holds twice, not at all or for another amount fails
// the books; one held once with Rebound's amount passes.
func TestTallyFindsMissingTwiceAndWrongAmounts(t *testing.T) {
	want := map[string]int64{"a": 100, "b": 200, "c": 300, "d": 400}
	b := tally(want, map[string][]int64{"a": {100}, "b": {200, 200}, "d": {399}, "zz": {5}})
	if b.Once != 1 || !slices.Equal(b.Missing, []string{"c"}) || !slices.Equal(b.Twice, []string{"b"}) || len(b.WrongAmount) != 1 || b.ok() {
		t.Fatalf("%+v", b)
	}
	if ok := tally(map[string]int64{"a": 1}, map[string][]int64{"a": {1}}); !ok.ok() || ok.Once != 1 {
		t.Fatalf("%+v", ok)
	}
	if !(Books{}).ok() {
		t.Fatal("books not checked are no failure")
	}
}
