package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// RecordTransition writes a step of a return to the read model, with its
// timeline event and the notifications it causes, in one transaction. The
// step's sequence number makes retries and late writes harmless.
func (a *Store) RecordTransition(ctx context.Context, in TransitionInput) (TransitionResult, error) {
	ret, err := a.returnByID(ctx, in.ReturnID)
	if err != nil {
		return TransitionResult{}, err
	}
	t := db.Transition{
		ReturnID: in.ReturnID, Seq: in.Seq, Status: string(in.Status),
		Actor: in.Actor.Name, ActorRole: in.Actor.Role, Note: in.Note, At: in.At,
	}
	if in.Actor.Kind != returns.ActorStaff {
		t.Actor = string(in.Actor.Kind)
	}
	if in.StatusReason != "" {
		t.StatusReason = &in.StatusReason
	}
	if len(in.Refusals) > 0 {
		if t.ReasonCodes, err = json.Marshal(in.Refusals); err != nil {
			return TransitionResult{}, err
		}
	}
	if in.TrackingNumber != "" {
		t.TrackingNumber, t.LabelURL = &in.TrackingNumber, &in.LabelURL
	}
	switch {
	case in.Attention != "":
		t.Attention = &in.Attention
	case in.ClearAttention:
		none := ""
		t.Attention = &none
	}
	if in.Quote != nil {
		t.RefundAmount = &in.Quote.Total
	}
	t.Lines = verdicts(in.Inspection, in.Quote)

	msgs, err := a.messages(ctx, ret, in)
	if err != nil {
		return TransitionResult{}, err
	}
	applied, pending, err := a.DB.Returns.ApplyTransition(ctx, t, msgs)
	if err != nil {
		return TransitionResult{}, err
	}
	if applied && a.Metrics != nil {
		a.Metrics.Transitions.WithLabelValues(string(in.Status)).Inc()
	}
	return TransitionResult{Applied: applied, OutboxIDs: pending}, nil
}

// verdicts turns the inspection into the read model's lines, with each
// line's share of the refund.
func verdicts(inspection []returns.InspectedLine, q *returns.Quote) []db.LineVerdict {
	out := make([]db.LineVerdict, 0, len(inspection))
	for _, il := range inspection {
		v := db.LineVerdict{LineID: il.LineID, Accepted: il.AcceptedQuantity, Rejected: il.RejectedQuantity,
			RejectReason: il.Reason, Note: il.Note}
		if il.AcceptedQuantity > 0 {
			c := string(il.Condition)
			v.Condition = &c
		}
		if q != nil {
			for _, rl := range q.Lines {
				if rl.LineID == il.LineID {
					amount := rl.Amount
					v.RefundAmount = &amount
				}
			}
		}
		out = append(out, v)
	}
	return out
}

func contactChannel(kind string) string {
	if kind == "phone" {
		return "sms"
	}
	return "email"
}

// shopperMessage is what the shopper is told of a step, if anything.
func shopperMessage(ret *db.Return, merchant string, in TransitionInput) (subject, text string, ok bool) {
	if in.Event != EventStatus {
		return "", "", false
	}
	ref := "your return " + shortID(ret.ID) + " at " + merchant
	switch in.Status {
	case returns.Ineligible:
		return "Your return cannot be accepted", fmt.Sprintf("We are sorry: %s does not meet the return policy (%s).", ref, in.StatusReason), true
	case returns.AwaitingReview:
		return "Your return is being reviewed", fmt.Sprintf("Thank you: %s is with the merchant for review. We will write when it is decided.", ref), true
	case returns.Declined:
		return "Your return was declined", fmt.Sprintf("%s was declined: %s", capitalize(ref), in.StatusReason), true
	case returns.AwaitingShipment:
		return "Your return label", fmt.Sprintf("%s is approved. Print your label at %s and send the parcel (tracking number %s).", capitalize(ref), in.LabelURL, in.TrackingNumber), true
	case returns.AwaitingDropoff:
		return "Bring your return to the store", fmt.Sprintf("%s is approved. Bring the goods and the card you paid with to the store.", capitalize(ref)), true
	case returns.Received:
		return "We have your return", fmt.Sprintf("%s has arrived and will be inspected shortly.", capitalize(ref)), true
	case returns.Rejected:
		return "Your return was not accepted", fmt.Sprintf("After inspection nothing of %s could be accepted: %s", ref, in.StatusReason), true
	case returns.RefundPending:
		var m returns.Money
		if in.Quote != nil {
			m = returns.Money{Amount: in.Quote.Total, Currency: in.Quote.Currency}
		}
		text := fmt.Sprintf("%s was inspected. You will be refunded %s.", capitalize(ref), m)
		if q := in.Quote; q != nil && (q.Credit > 0 || q.Exchanged > 0) {
			text = fmt.Sprintf("%s was inspected. You will get %s.", capitalize(ref), resolvedWords(*q))
		}
		for _, l := range in.Inspection {
			if l.RejectedQuantity > 0 {
				text += fmt.Sprintf(" %d of line %s could not be accepted: %s.", l.RejectedQuantity, l.LineID, l.Reason)
			}
		}
		return "Your return was inspected", text, true
	case returns.Refunded:
		if !paysBack(ret.Lines) {
			return "Your return is complete", fmt.Sprintf("%s is complete. Nothing goes back to your payment: you chose store credit (its code comes in a message of its own) or an exchange.", capitalize(ref)), true
		}
		return "Your refund is on its way", fmt.Sprintf("The refund for %s has been paid.", ref), true
	case returns.Cancelled:
		return "Your return was cancelled", fmt.Sprintf("%s was cancelled.", capitalize(ref)), true
	case returns.Expired:
		return "Your return has expired", fmt.Sprintf("%s expired: %s.", capitalize(ref), in.StatusReason), true
	}
	return "", "", false
}

// staffMessage is what the merchant's staff are told, and which role.
func staffMessage(ret *db.Return, in TransitionInput) (role returns.Role, subject, text string, ok bool) {
	id := shortID(ret.ID)
	switch in.Event {
	case EventReminder:
		return returns.RoleSupervisor, "Reminder: return " + id, fmt.Sprintf("Return %s is %s: %s.", ret.ID, in.Status, in.Note), true
	case EventEscalation:
		return returns.RoleSupervisor, "Overdue: return " + id, fmt.Sprintf("Return %s is %s and %s. It is flagged in the task list.", ret.ID, in.Status, in.Note), true
	case EventSettlementOverdue:
		return returns.RoleFinance, "Refund not settled: return " + id, fmt.Sprintf("The refund of return %s has not appeared in settlement.", ret.ID), true
	}
	return "", "", "", false
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// messages composes the notifications of a step.
func (a *Store) messages(ctx context.Context, ret *db.Return, in TransitionInput) ([]db.OutboxMessage, error) {
	merchant, err := a.DB.Merchants.MerchantByID(ctx, ret.MerchantID)
	if err != nil {
		return nil, err
	}
	var out []db.OutboxMessage
	if subject, text, ok := shopperMessage(ret, merchant.Name, in); ok {
		out = append(out, db.OutboxMessage{MerchantID: &ret.MerchantID, Channel: contactChannel(ret.ContactKind),
			Recipient: ret.Contact, Subject: subject, BodyText: text, BodyHTML: html(subject, text)})
	}
	if role, subject, text, ok := staffMessage(ret, in); ok {
		emails, err := a.DB.Outbox.StaffEmails(ctx, ret.MerchantID, role)
		if err != nil {
			return nil, err
		}
		for _, e := range slices.Compact(emails) {
			out = append(out, db.OutboxMessage{MerchantID: &ret.MerchantID, Channel: "email", Recipient: e,
				Subject: subject, BodyText: text, BodyHTML: html(subject, text)})
		}
	}
	hooks, err := a.DB.Outbox.WebhookEndpoints(ctx, ret.MerchantID)
	if err != nil {
		return nil, err
	}
	if len(hooks) > 0 {
		body, err := json.Marshal(map[string]any{
			"type": "return." + in.Event, "return_id": ret.ID, "status": in.Status, "seq": in.Seq,
			"at": in.At, "note": in.Note,
		})
		if err != nil {
			return nil, err
		}
		for _, h := range hooks {
			out = append(out, db.OutboxMessage{MerchantID: &ret.MerchantID, Channel: "webhook", Recipient: h.URL,
				WebhookID: &h.ID, BodyText: string(body)})
		}
	}
	return out, nil
}

// resolvedWords says what a quote with credit or exchanged lines gives the
// shopper.
func resolvedWords(q returns.Quote) string {
	money := func(v int64) returns.Money { return returns.Money{Amount: v, Currency: q.Currency} }
	var parts []string
	if q.ToPayment() > 0 {
		parts = append(parts, fmt.Sprintf("%s back to your payment", money(q.ToPayment())))
	}
	if q.Credit > 0 {
		credit := fmt.Sprintf("store credit of %s", money(q.Credit+q.Bonus))
		if q.Bonus > 0 {
			credit += fmt.Sprintf(" (a bonus of %s included; its code comes in a message of its own)", money(q.Bonus))
		}
		parts = append(parts, credit)
	}
	if q.Exchanged > 0 {
		parts = append(parts, "the replacement you chose, which we hold for you")
	}
	return strings.Join(parts, ", ")
}

// paysBack tells whether any line of a return is refunded to the payment
// (every line filed before resolutions is).
func paysBack(lines []db.ReturnLine) bool {
	if len(lines) == 0 {
		return true
	}
	for _, l := range lines {
		if l.Resolution.OrRefund() == returns.ResolutionRefund {
			return true
		}
	}
	return false
}
