// Package shipping books carrier shipments for approved returns that the shopper ships and renders
// their printable return labels. A Carrier turns a return into a tracking number, idempotently on the
// return id; Simulated is the built-in carrier that needs no network, and Label draws the PDF label.
package shipping

import "context"

// Address is a postal address. Empty fields are left off the label.
type Address struct {
	Name       string
	Line1      string
	Line2      string
	PostalCode string
	City       string
	Country    string
}

// ShipmentRequest asks a carrier to book the shipment of one return.
type ShipmentRequest struct {
	ReturnID string  // Rebound's return id (a UUID string)
	From     Address // the shopper (may be mostly empty: name only)
	To       Address // the merchant's return address
}

// Shipment is a booked shipment.
type Shipment struct {
	Carrier        string // "rebound-sim" for the simulator
	TrackingNumber string
}

// Carrier books return shipments. Implementations must be idempotent on ReturnID:
// asking twice for the same return gives the same tracking number.
type Carrier interface {
	CreateShipment(ctx context.Context, r ShipmentRequest) (Shipment, error)
}
