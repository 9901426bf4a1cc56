package returns

import (
	"slices"
	"strings"
)

// The words of the trade, typed once: how a sale was paid, how goods come
// back, where a refund and a card attempt stand, who acts and in which
// role. Their string values are what the API, the database and workflow
// histories hold, so a value here never changes.

// Channel is how the sale was paid: online through the payment gateway, or
// with a card at a store's terminal.
type Channel string

const (
	ChannelOnline      Channel = "online"
	ChannelCardPresent Channel = "card_present"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == ChannelOnline || c == ChannelCardPresent }

// Method is how the goods come back: shipped, or brought to a store.
type Method string

const (
	MethodShip    Method = "ship"
	MethodInStore Method = "in_store"
)

// Valid reports whether m is a known method.
func (m Method) Valid() bool { return m == MethodShip || m == MethodInStore }

// RefundStatus is where a refund's money stands.
type RefundStatus string

const (
	RefundStatusPending   RefundStatus = "pending"
	RefundStatusSucceeded RefundStatus = "succeeded"
	RefundStatusFailed    RefundStatus = "failed"
)

// AttemptState is where one try to pay a refund stands (a card message, a
// gateway call); the money rules (db/refund_rules.go) say which moves are
// allowed.
type AttemptState string

const (
	AttemptPrepared        AttemptState = "prepared"
	AttemptSent            AttemptState = "sent"
	AttemptApproved        AttemptState = "approved"
	AttemptDeclined        AttemptState = "declined"
	AttemptUnknown         AttemptState = "unknown"
	AttemptReversalPending AttemptState = "reversal_pending"
	AttemptReversed        AttemptState = "reversed"
	AttemptEscalated       AttemptState = "escalated"
)

// AttemptKind is what an attempt sends: a gateway refund, a card void
// (same day, same terminal) or a card refund.
type AttemptKind string

const (
	AttemptOnline AttemptKind = "online"
	AttemptVoid   AttemptKind = "void"
	AttemptRefund AttemptKind = "refund"
)

// ActorKind is who took a step in a return's timeline.
type ActorKind string

const (
	ActorShopper ActorKind = "shopper"
	ActorStaff   ActorKind = "staff"
	ActorCarrier ActorKind = "carrier"
	ActorSystem  ActorKind = "system"
)

// Actor is who took a step: its kind, a member of staff's user name, and
// their role.
type Actor struct {
	Kind ActorKind `json:"kind"`
	Name string    `json:"name"` // user name for staff
	Role Role      `json:"role,omitempty"`
}

// SystemActor is Rebound acting on its own (timers, policy).
var SystemActor = Actor{Kind: ActorSystem, Name: "rebound"}

// Role is what a member of staff may do: clerks receive and inspect,
// supervisors also review and authorise counter refunds, finance follows
// the money, admins run the merchant's settings and people, operators run
// the platform.
type Role string

const (
	RoleClerk      Role = "clerk"
	RoleSupervisor Role = "supervisor"
	RoleFinance    Role = "finance"
	RoleAdmin      Role = "admin"
	RoleOperator   Role = "operator"
)

// MerchantRoles are the roles a merchant's staff can hold, in the order
// pages list them.
var MerchantRoles = []Role{RoleClerk, RoleSupervisor, RoleFinance, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range MerchantRoles {
		if r == k {
			return true
		}
	}
	return r == RoleOperator
}

// Covers reports whether a member holding r may do what other may: every
// role covers itself, a supervisor covers a clerk, and an admin covers a
// clerk, a supervisor and finance (an admin may do everything the people
// they appoint may). Operators cover only operators: they run the platform,
// not a merchant's floor. Every role check goes through Covers or Admitted.
func (r Role) Covers(other Role) bool {
	switch r {
	case other:
		return true
	case RoleSupervisor:
		return other == RoleClerk
	case RoleAdmin:
		return other == RoleClerk || other == RoleSupervisor || other == RoleFinance
	}
	return false
}

// Admitted reports whether r covers one of roles: the rule behind every
// route, page and use case that names the roles it needs.
func (r Role) Admitted(roles []Role) bool {
	return slices.ContainsFunc(roles, r.Covers)
}

// RoleWords are roles as plain strings, for what takes words (templates,
// usernames named for a role).
func RoleWords(roles []Role) []string {
	words := make([]string, len(roles))
	for i, r := range roles {
		words[i] = string(r)
	}
	return words
}

// JoinRoles writes roles as messages name them ("clerk or supervisor").
func JoinRoles(roles []Role, sep string) string { return strings.Join(RoleWords(roles), sep) }

// CreditEntryKind is what an entry of a store credit's ledger records:
// credit issued (positive), redeemed by the merchant's checkout (negative),
// a redemption put back (positive) or what was left when the credit expired
// (negative). A credit's balance is the sum of its entries.
type CreditEntryKind string

const (
	CreditIssued   CreditEntryKind = "issued"
	CreditRedeemed CreditEntryKind = "redeemed"
	CreditReversed CreditEntryKind = "reversed"
	CreditExpired  CreditEntryKind = "expired"
)

// Resolution is what a shopper gets for a returned line: their money back
// to the original payment, store credit (with the merchant's bonus), or an
// exchange for another variant of the same product. A line filed before
// resolutions existed has none, and is a refund.
type Resolution string

const (
	ResolutionRefund      Resolution = "refund"
	ResolutionStoreCredit Resolution = "store_credit"
	ResolutionExchange    Resolution = "exchange"
)

// Resolutions are the known resolutions, in the order pages offer them.
var Resolutions = []Resolution{ResolutionRefund, ResolutionStoreCredit, ResolutionExchange}

// Valid reports whether r is a known resolution.
func (r Resolution) Valid() bool {
	return r == ResolutionRefund || r == ResolutionStoreCredit || r == ResolutionExchange
}

// OrRefund is r, or a refund when r is empty (a line filed before
// resolutions existed, or one the shopper left to the default).
func (r Resolution) OrRefund() Resolution {
	if r == "" {
		return ResolutionRefund
	}
	return r
}

// ResolutionWords are resolutions as plain strings, for messages.
func ResolutionWords(rs []Resolution) []string {
	words := make([]string, len(rs))
	for i, r := range rs {
		words[i] = string(r)
	}
	return words
}

// ExchangeHeld is the state of an exchange line whose replacement is held
// in stock, waiting for its shipment (a later step).
const ExchangeHeld = "replacement_held"
