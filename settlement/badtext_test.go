package settlement_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/settlement"
)

// Issue 13, finding 4, in uploaded files: a NUL byte or invalid UTF-8 in a
// row of a gateway report made PostgreSQL refuse the whole import (a 500).
// Such a row is a bad row, reported by line and column, like any other.
func TestBadTextInAReportIsABadRow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := books(t, d, nil)
		date := day.Format("2006-01-02")
		file := strings.Join(payments.ReportColumns, ",") + "\n" +
			date + ",re_1,pay_1,ok,1500,EUR,succeeded,\n" +
			date + ",re_2,pay_2,a\x00b,700,EUR,succeeded,\n" +
			date + ",re_3,pay_3,a\xffb,700,EUR,succeeded,\n" +
			date + ",re_4,pay_4,,700,EUR,succeeded,\n"
		res, err := (&settlement.Importer{DB: d}).Import(ctx, m, db.SourceGateway, "report.csv", "fin", strings.NewReader(file))
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if res.File.RowsRead != 2 || len(res.BadRows) != 2 || res.BadRows[0].Line != 3 || res.BadRows[1].Line != 4 ||
			!strings.Contains(res.BadRows[0].Message, "reference") {
			t.Fatalf("bad rows %+v, file %+v", res.BadRows, res.File)
		}
	})
}
