package actors

import "errors"

// Errors a single command can get before any I/O. The root package re-exports
// them; match them with errors.Is.
var (
	// ErrCrossSlot is a command whose keys hash to different slots. It is
	// never sent: the cluster would refuse it.
	ErrCrossSlot = errors.New("CROSSSLOT Keys in request don't hash to the same slot")
	// ErrEmptyCommand is a command without a name.
	ErrEmptyCommand = errors.New("redactor: empty command name")
	// ErrSlotNotServed is a command whose slot no master serves in the
	// current slot map.
	ErrSlotNotServed = errors.New("redactor: no master serves the slot")
	// ErrNoRoutes is an Exec that reached a coordinator before it knew the
	// cluster's layout.
	ErrNoRoutes = errors.New("redactor: the coordinator has no slot map yet")
)
