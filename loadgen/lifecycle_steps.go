package loadgen

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// The steps of a return as the load takes them: each is the call a
// merchant's system, a shopper, the carrier or a clerk makes, then a read
// of the return until the workflow has moved it on.

// shopper are the headers of a shopper's call.
func (r *run) shopper(o *one, extra ...string) []string {
	if !r.l.ShopperAddresses {
		return extra
	}
	return append([]string{"X-Forwarded-For", o.addr}, extra...)
}

func (r *run) login(ctx context.Context, user string) (string, error) {
	a, err := r.c.do(ctx, "POST /v1/auth/login", "POST", "/v1/auth/login",
		map[string]string{"merchant": r.l.Merchant, "username": user, "password": r.l.StaffPassword}, 200)
	if err != nil {
		return "", err
	}
	var out struct{ Token string }
	if err := a.decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("log-in answered no token: %s", firstLine(string(a.body)))
	}
	return out.Token, nil
}

// drive takes one return from its order to EndStatus.
func (r *run) drive(ctx context.Context, o *one) error {
	if err := r.order(ctx, o); err != nil {
		return err
	}
	method := returns.MethodShip
	if o.kind == KindCard {
		method = returns.MethodInStore
	}
	a, err := r.c.do(ctx, "POST /v1/returns", "POST", "/v1/returns", map[string]any{
		"merchant": r.l.Merchant, "order_number": o.number, "contact": o.contact, "method": method,
		"lines": []map[string]any{{"line_id": "1", "quantity": 1, "reason": "too_small"}},
	}, 201, r.shopper(o, "Idempotency-Key", "file-"+o.number)...)
	if err != nil {
		return err
	}
	var filed struct{ ID string }
	if err := a.decode(&filed); err != nil || filed.ID == "" {
		return fmt.Errorf("filing answered no id: %s", firstLine(string(a.body)))
	}
	o.id = filed.ID
	code, err := r.code(ctx, o)
	if err != nil {
		return err
	}
	a, err = r.c.do(ctx, "POST /v1/returns/{id}/verify", "POST", "/v1/returns/"+o.id+"/verify",
		map[string]string{"code": code}, 200, r.shopper(o)...)
	if err != nil {
		return err
	}
	var verified struct{ Token string }
	if err := a.decode(&verified); err != nil || verified.Token == "" {
		return fmt.Errorf("verify answered no token")
	}
	o.token = verified.Token
	if o.kind == KindCard {
		return r.atCounter(ctx, o)
	}
	return r.shipped(ctx, o)
}

// gatewayPayment tells the gateway simulator of an order's payment, when
// the load registers payments.
func (r *run) gatewayPayment(ctx context.Context, id string, amount int64) error {
	if !r.l.RegisterPayments || r.l.GatewayURL == "" {
		return nil
	}
	account := r.l.GatewayAccount
	if account == "" {
		account = r.l.Merchant
	}
	return postAdmin(ctx, "gateway payment", r.l.GatewayURL+"/admin/payments", r.l.GatewayKey,
		map[string]any{"id": id, "amount": amount, "currency": "EUR", "account": account})
}

// acquirerTerminals tells the acquirer simulator of the merchant's sale and
// virtual terminals, when the load registers payments.
func (r *run) acquirerTerminals(ctx context.Context) error {
	if !r.l.RegisterPayments || r.l.AcquirerAdminURL == "" {
		return nil
	}
	return postAdmin(ctx, "acquirer terminals", r.l.AcquirerAdminURL+"/admin/terminals", "", []map[string]string{
		{"terminal_id": r.l.CardTerminal, "merchant_id": r.l.AcquirerMID},
		{"terminal_id": r.l.VirtualTerminal, "merchant_id": r.l.AcquirerMID}})
}

// acquirerSale tells the acquirer simulator of a card return's sale, as
// the acquirer knows the sales its terminals made.
func (r *run) acquirerSale(ctx context.Context, o *one, at time.Time) error {
	if !r.l.RegisterPayments || r.l.AcquirerAdminURL == "" {
		return nil
	}
	return postAdmin(ctx, "acquirer sale", r.l.AcquirerAdminURL+"/admin/sales", "", map[string]any{
		"terminal_id": r.l.CardTerminal, "merchant_id": r.l.AcquirerMID, "stan": o.stan, "rrn": o.payment,
		"approval_code": "LG0001", "masked_pan": "541333******4111", "currency": "EUR", "amount": 2000, "at": at})
}

// postAdmin posts body to a simulator's admin API.
func postAdmin(ctx context.Context, what, u, bearer string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %d %s", what, resp.StatusCode, firstLine(string(b)))
	}
	return nil
}

// order registers the return's order as the merchant's systems do.
func (r *run) order(ctx context.Context, o *one) error {
	now := time.Now().UTC()
	placed := now.Add(-48 * time.Hour).Truncate(time.Second)
	payment := map[string]any{"amount": 2000}
	if o.kind == KindOnline {
		payment["channel"] = returns.ChannelOnline
		payment["gateway_payment_id"] = o.payment
		if err := r.gatewayPayment(ctx, o.payment, 2000); err != nil {
			return err
		}
	} else {
		payment["channel"] = returns.ChannelCardPresent
		payment["terminal_id"] = r.l.CardTerminal
		payment["stan"] = o.stan
		payment["rrn"] = o.payment
		payment["approval_code"] = "LG0001"
		payment["masked_pan"] = "541333******4111"
		payment["card_fingerprint"] = o.card
		payment["transmitted_at"] = placed.Format(time.RFC3339) // the sale's own DE7, as the acquirer has it
		if err := r.acquirerSale(ctx, o, placed); err != nil {
			return err
		}
	}
	_, err := r.c.do(ctx, "POST /v1/orders", "POST", "/v1/orders", map[string]any{
		"order_number": o.number, "currency": "EUR", "shipping_amount": 0,
		"placed_at":    placed.Format(time.RFC3339),
		"delivered_at": now.Add(-24 * time.Hour).Format(time.RFC3339),
		"customer":     r.customer(o),
		"lines": []map[string]any{{"line_id": "1", "sku": "CAP", "name": "Cap", "category": "apparel",
			"quantity": 1, "unit_price": 2000}},
		"payment": payment,
	}, 201, "X-API-Key", r.l.APIKey, "Idempotency-Key", "order-"+o.number)
	return err
}

var codeRe = regexp.MustCompile(`code is (\d{6})`)

// customer is the order's shopper: reached by e-mail, or by SMS when the
// load keeps an SMS sink.
func (r *run) customer(o *one) map[string]any {
	if r.sms != nil {
		return map[string]any{"name": "Load Shopper", "phone": o.contact}
	}
	return map[string]any{"name": "Load Shopper", "email": o.contact}
}

// code reads the return's code: from the load's SMS sink, or from the dev
// outbox, as the README's walk through does.
func (r *run) code(ctx context.Context, o *one) (string, error) {
	deadline := time.Now().Add(r.l.StepTimeout)
	for r.sms != nil && time.Now().Before(deadline) {
		msgs := r.sms.messages(o.contact)
		for k := len(msgs) - 1; k >= 0; k-- {
			if mm := codeRe.FindStringSubmatch(msgs[k]); mm != nil {
				return mm[1], nil
			}
		}
		if err := sleep(ctx, r.l.Poll); err != nil {
			return "", err
		}
	}
	for r.sms == nil && time.Now().Before(deadline) {
		a, err := r.c.do(ctx, "GET /v1/dev/outbox", "GET", "/v1/dev/outbox?to="+url.QueryEscape(o.contact), nil, 200)
		if err != nil {
			return "", err
		}
		var out struct{ Items []struct{ Text string } }
		_ = a.decode(&out)
		for _, m := range out.Items {
			if mm := codeRe.FindStringSubmatch(m.Text); mm != nil {
				return mm[1], nil
			}
		}
		if err := sleep(ctx, r.l.Poll); err != nil {
			return "", err
		}
	}
	return "", &timeoutError{want: "a code in the outbox", last: "none"}
}

// shipped is an online return from its label to the gateway's refund.
func (r *run) shipped(ctx context.Context, o *one) error {
	v, err := r.await(ctx, o, "awaiting_shipment")
	if err != nil {
		return err
	}
	if _, err := r.c.do(ctx, "GET /v1/returns/{id}/label", "GET", "/v1/returns/"+o.id+"/label", nil, 200,
		r.shopper(o, "Authorization", "Bearer "+o.token)...); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"event_id": "lg-" + o.id + "-delivered", "tracking_number": v.TrackingNumber,
		"event": "delivered", "occurred_at": time.Now().UTC().Format(time.RFC3339)})
	m := hmac.New(sha256.New, []byte(r.l.CarrierSecret))
	m.Write(body)
	if _, err := r.c.do(ctx, "POST /v1/carrier/events", "POST", "/v1/carrier/events", body, 202,
		"X-Rebound-Signature", hex.EncodeToString(m.Sum(nil))); err != nil {
		return err
	}
	if _, err := r.await(ctx, o, "awaiting_inspection"); err != nil {
		return err
	}
	if err := r.staff(ctx, o, "inspection", inspection()); err != nil {
		return err
	}
	_, err = r.await(ctx, o, EndStatus)
	return err
}

// atCounter is a card return from the drop-off to the counter refund.
func (r *run) atCounter(ctx context.Context, o *one) error {
	if _, err := r.await(ctx, o, "awaiting_dropoff"); err != nil {
		return err
	}
	if err := r.staff(ctx, o, "receive", map[string]string{}); err != nil {
		return err
	}
	if _, err := r.await(ctx, o, "awaiting_inspection"); err != nil {
		return err
	}
	if err := r.staff(ctx, o, "inspection", inspection()); err != nil {
		return err
	}
	if _, err := r.await(ctx, o, "refund_pending"); err != nil {
		return err
	}
	if err := r.staff(ctx, o, "in-store-refund", map[string]string{"terminal_id": r.l.CardTerminal,
		"supervisor_username": r.l.Supervisor, "supervisor_password": r.l.StaffPassword,
		"voucher_no": o.stan, "card_fingerprint": o.card}, "Idempotency-Key", "counter-"+o.number); err != nil {
		return err
	}
	_, err := r.await(ctx, o, EndStatus)
	return err
}

func inspection() map[string]any {
	return map[string]any{"lines": []map[string]any{{"line_id": "1", "accepted_quantity": 1, "rejected_quantity": 0, "condition": "new"}}}
}

// staff takes a clerk's step. A 409 — the list showed the step before
// the workflow took it — is counted and tried again, as a person would.
func (r *run) staff(ctx context.Context, o *one, step string, body any, header ...string) error {
	route := "POST /v1/merchant/returns/{id}/" + step
	deadline := time.Now().Add(r.l.StepTimeout)
	for {
		_, err := r.c.do(ctx, route, "POST", "/v1/merchant/returns/"+o.id+"/"+step, body, 200,
			append([]string{"Authorization", "Bearer " + r.clerk}, header...)...)
		var se *statusError
		if err == nil || !errors.As(err, &se) || se.status != 409 || time.Now().After(deadline) {
			return err
		}
		r.rec.fail(se.kind() + " (tried again)")
		if err := sleep(ctx, r.l.Poll); err != nil {
			return err
		}
	}
}

// await reads the return until it is at status.
func (r *run) await(ctx context.Context, o *one, status string) (returnView, error) {
	deadline := time.Now().Add(r.l.StepTimeout)
	var v returnView
	for {
		var err error
		if v, err = r.read(ctx, o); err != nil {
			return v, err
		}
		if v.Status == status {
			return v, nil
		}
		if time.Now().After(deadline) {
			return v, &timeoutError{want: status, last: v.Status}
		}
		if err := sleep(ctx, r.l.Poll); err != nil {
			return v, err
		}
	}
}

func (r *run) read(ctx context.Context, o *one) (returnView, error) {
	var v returnView
	a, err := r.c.do(ctx, "GET /v1/returns/{id}", "GET", "/v1/returns/"+o.id, nil, 200,
		r.shopper(o, "Authorization", "Bearer "+o.token)...)
	if err != nil {
		return v, err
	}
	return v, a.decode(&v)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
