package db

import (
	"testing"
	"time"
)

func TestCopyRowsAreEscapedForCopyText(t *testing.T) {
	t.Parallel()
	s := "x"
	at := time.Date(2026, 11, 20, 9, 30, 1, 500_000_000, time.FixedZone("CET", 3600))
	got := string(appendCopyRow(nil, []any{"a\tb\\c\nd\re", nil, (*string)(nil), &s, 42, int64(-7), true, at}))
	want := "a\\tb\\\\c\\nd\\re\t\\N\t\\N\tx\t42\t-7\ttrue\t2026-11-20 08:30:01.5Z\n"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
