package actors

import "github.com/redactor-go/redactor/topology"

// Redirected is published on the actor system's event stream when a batch
// came back with MOVED or ASK redirects.
type Redirected struct {
	// Moved are the slots MOVED named, with their new masters.
	Moved []topology.Move
	// Asked are the nodes ASK sent commands to.
	Asked []string
}
