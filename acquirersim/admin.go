package acquirersim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rebound-returns/rebound/pos"
)

// AdminHandler is the simulator's admin API (JSON):
//
//	POST /admin/sales              a sale, or an array of sales → 201 {"added": n}
//	POST /admin/terminals          {"terminal_id","merchant_id"}, or an array → 201 {"added": n}
//	GET  /admin/faults             {"drop","delay","duplicate","close","approve_then_lose","issuer_unavailable",
//	                               "system_malfunction","late_response","approve_after_reversal",
//	                               "duplicate_transmission" (0..1, adding up to 1 at most),"delay_by" ("15s"),"extra_fields" (true/false)}
//	PUT  /admin/faults             the same (missing ones: 0, false) → 200 with the faults in force
//	GET  /admin/stats              the counters
//	GET  /admin/ledger             every entry
//	POST /admin/cutoff             settle the open batch now → 200 {"batch": id, "files": [path, ...]}
//	                               (the settlement files dropped; none without a SettlementDir)
//	GET  /admin/settlement?batch=ID          the settlement file of a settled batch (text/csv): what
//	                               its cut-off settled, once; 409 while the batch is open
//	GET  /admin/settlement?date=YYYY-MM-DD   the day's settlement file: every batch settled that day,
//	                               each once (after a second cut-off, the first batch too)
//
// Errors are {"error": "..."} with 400 (unreadable) or 422 (invalid).
func (a *Acquirer) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/sales", a.adminSales)
	mux.HandleFunc("POST /admin/terminals", a.adminTerminals)
	mux.HandleFunc("GET /admin/faults", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, faultsDTO(a.Faults()))
	})
	mux.HandleFunc("PUT /admin/faults", a.adminSetFaults)
	mux.HandleFunc("GET /admin/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.Stats())
	})
	mux.HandleFunc("GET /admin/ledger", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.Ledger())
	})
	mux.HandleFunc("POST /admin/cutoff", func(w http.ResponseWriter, _ *http.Request) {
		batch, files := a.cutOff()
		writeJSON(w, http.StatusOK, cutoffJSON{Batch: batch, Files: files})
	})
	mux.HandleFunc("GET /admin/settlement", a.adminSettlement)
	return mux
}

// faultsJSON is Faults on the admin API, with a readable delay.
type faultsJSON struct {
	Drop                  float64 `json:"drop"`
	Delay                 float64 `json:"delay"`
	Duplicate             float64 `json:"duplicate"`
	Close                 float64 `json:"close"`
	ApproveThenLose       float64 `json:"approve_then_lose"`
	IssuerUnavailable     float64 `json:"issuer_unavailable"`
	SystemMalfunction     float64 `json:"system_malfunction"`
	LateResponse          float64 `json:"late_response"`
	ApproveAfterReversal  float64 `json:"approve_after_reversal"`
	DuplicateTransmission float64 `json:"duplicate_transmission"`
	DelayBy               string  `json:"delay_by"`
	ExtraFields           bool    `json:"extra_fields"`
}

func faultsDTO(f Faults) faultsJSON {
	return faultsJSON{Drop: f.Drop, Delay: f.Delay, Duplicate: f.Duplicate, Close: f.Close,
		ApproveThenLose: f.ApproveThenLose, IssuerUnavailable: f.IssuerUnavailable,
		SystemMalfunction: f.SystemMalfunction, LateResponse: f.LateResponse,
		ApproveAfterReversal: f.ApproveAfterReversal, DuplicateTransmission: f.DuplicateTransmission, DelayBy: f.DelayBy.String(), ExtraFields: f.ExtraFields}
}

func (in faultsJSON) faults() Faults {
	return Faults{Drop: in.Drop, Delay: in.Delay, Duplicate: in.Duplicate, Close: in.Close,
		ApproveThenLose: in.ApproveThenLose, IssuerUnavailable: in.IssuerUnavailable,
		SystemMalfunction: in.SystemMalfunction, LateResponse: in.LateResponse,
		ApproveAfterReversal: in.ApproveAfterReversal, DuplicateTransmission: in.DuplicateTransmission, ExtraFields: in.ExtraFields}
}

// cutoffJSON is the answer to a manual cut-off.
type cutoffJSON struct {
	Batch string   `json:"batch"`
	Files []string `json:"files"` // paths of the settlement files dropped
}

type terminalJSON struct {
	TerminalID string `json:"terminal_id"`
	MerchantID string `json:"merchant_id"`
}

const maxAdminBody = 4 << 20

// decodeOneOrMany reads a JSON object or an array of them.
func decodeOneOrMany[T any](w http.ResponseWriter, r *http.Request) ([]T, bool) {
	var raw json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody)).Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, "unreadable JSON body: "+err.Error())
		return nil, false
	}
	var many []T
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(raw, &many); err != nil {
			writeError(w, http.StatusBadRequest, "unreadable JSON array: "+err.Error())
			return nil, false
		}
		return many, true
	}
	var one T
	if err := json.Unmarshal(raw, &one); err != nil {
		writeError(w, http.StatusBadRequest, "unreadable JSON object: "+err.Error())
		return nil, false
	}
	return []T{one}, true
}

func (a *Acquirer) adminSales(w http.ResponseWriter, r *http.Request) {
	sales, ok := decodeOneOrMany[Sale](w, r)
	if !ok {
		return
	}
	for i, s := range sales {
		if err := a.AddSale(s); err != nil {
			writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("sale %d: %v", i+1, err))
			return
		}
	}
	writeJSON(w, http.StatusCreated, map[string]int{"added": len(sales)})
}

func (a *Acquirer) adminTerminals(w http.ResponseWriter, r *http.Request) {
	terminals, ok := decodeOneOrMany[terminalJSON](w, r)
	if !ok {
		return
	}
	for i, t := range terminals {
		switch {
		case !pos.ValidTerminalID(t.TerminalID):
			writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("terminal %d: terminal_id: must be 8 printable characters", i+1))
			return
		case !pos.ValidMerchantID(t.MerchantID):
			writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("terminal %d: merchant_id: must be 1 to 15 printable characters", i+1))
			return
		}
	}
	for _, t := range terminals {
		a.AddTerminal(t.TerminalID, t.MerchantID)
	}
	writeJSON(w, http.StatusCreated, map[string]int{"added": len(terminals)})
}

func (a *Acquirer) adminSetFaults(w http.ResponseWriter, r *http.Request) {
	var in faultsJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "unreadable JSON body: "+err.Error())
		return
	}
	f := in.faults()
	if in.DelayBy != "" {
		d, err := time.ParseDuration(in.DelayBy)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, `delay_by: a duration such as "15s"`)
			return
		}
		f.DelayBy = d
	}
	if err := f.validate(); err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	a.SetFaults(f)
	writeJSON(w, http.StatusOK, faultsDTO(a.Faults()))
}

// adminSettlement answers the settlement file of a batch (?batch=, as the
// cut-off named it) or of a day (?date=).
func (a *Acquirer) adminSettlement(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var items []pos.SettlementItem
	var name string
	switch batch := q.Get("batch"); {
	case batch != "" && q.Has("date"):
		writeError(w, http.StatusBadRequest, "batch or date: one of them, not both")
		return
	case batch != "":
		got, settled, err := a.BatchSettlement(batch)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if !settled {
			writeError(w, http.StatusConflict, "batch: "+batch+" is not settled yet (POST /admin/cutoff settles the open batch)")
			return
		}
		items, name = got, "settlement-"+batch+".csv"
	default:
		date, err := time.Parse(time.DateOnly, q.Get("date"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "date: YYYY-MM-DD is required (or batch: an ID POST /admin/cutoff answered)")
			return
		}
		items, name = a.Settlement(date), "settlement-"+date.Format(time.DateOnly)+".csv"
	}
	var buf bytes.Buffer
	if err := pos.WriteSettlement(&buf, items); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	_, _ = w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
