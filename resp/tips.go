package resp

import "strings"

// RequestPolicy says which nodes of a cluster a command runs on: the
// request_policy tip of COMMAND (Redis 7+), corrected where the server's tip
// is known to be wrong (see KnownPolicies).
type RequestPolicy uint8

// The request policies.
const (
	// RequestDefault routes a command by the slot of its keys; a keyless
	// one runs on any one master.
	RequestDefault RequestPolicy = iota
	// RequestAllShards runs the command on every master (DBSIZE, KEYS,
	// FLUSHALL).
	RequestAllShards
	// RequestAllNodes runs the command on every node, replicas too
	// (SCRIPT LOAD, CONFIG SET).
	RequestAllNodes
	// RequestMultiShard marks a multi-key command whose keys may be split
	// by slot (MGET, DEL): keys of one slot route like RequestDefault;
	// keys that span slots are sent as one part per slot, outside
	// transactions, merged by the response policy.
	RequestMultiShard
	// RequestSpecial needs a dedicated API (SCAN).
	RequestSpecial
)

// ResponsePolicy says how the replies of a command run on several nodes are
// merged into one: the response_policy tip of COMMAND.
type ResponsePolicy uint8

// The response policies.
const (
	// ResponseDefault concatenates array replies and merges map replies
	// (KEYS); a single reply is kept as it is.
	ResponseDefault ResponsePolicy = iota
	// ResponseOneSucceeded is the first success, or an error when every
	// node failed (SCRIPT KILL).
	ResponseOneSucceeded
	// ResponseAllSucceeded is a success only when every node succeeded
	// (FLUSHALL, SCRIPT LOAD).
	ResponseAllSucceeded
	// ResponseAggLogicalAnd ANDs integer replies, element by element for
	// arrays (SCRIPT EXISTS).
	ResponseAggLogicalAnd
	// ResponseAggLogicalOr ORs them.
	ResponseAggLogicalOr
	// ResponseAggMin is the least integer reply (WAIT).
	ResponseAggMin
	// ResponseAggMax is the greatest integer reply.
	ResponseAggMax
	// ResponseAggSum is the sum of the integer replies (DBSIZE).
	ResponseAggSum
	// ResponseSpecial has no general merge (INFO): the merged reply maps
	// each node's address to its reply.
	ResponseSpecial
)

var requestPolicyNames = map[string]RequestPolicy{
	"all_shards":  RequestAllShards,
	"all_nodes":   RequestAllNodes,
	"multi_shard": RequestMultiShard,
	"special":     RequestSpecial,
}

var responsePolicyNames = map[string]ResponsePolicy{
	"one_succeeded":   ResponseOneSucceeded,
	"all_succeeded":   ResponseAllSucceeded,
	"agg_logical_and": ResponseAggLogicalAnd,
	"agg_logical_or":  ResponseAggLogicalOr,
	"agg_min":         ResponseAggMin,
	"agg_max":         ResponseAggMax,
	"agg_sum":         ResponseAggSum,
	"special":         ResponseSpecial,
}

// String returns the policy as the tip names it ("all_shards"), or
// "default".
func (p RequestPolicy) String() string {
	for name, v := range requestPolicyNames {
		if v == p {
			return name
		}
	}
	return "default"
}

// String returns the policy as the tip names it ("agg_sum"), or "default".
func (p ResponsePolicy) String() string {
	for name, v := range responsePolicyNames {
		if v == p {
			return name
		}
	}
	return "default"
}

// ParseRequestPolicy returns the policy a tip value names ("all_shards"),
// "default" included.
func ParseRequestPolicy(s string) (RequestPolicy, bool) {
	if s == "default" {
		return RequestDefault, true
	}
	p, ok := requestPolicyNames[s]
	return p, ok
}

// ParseResponsePolicy returns the policy a tip value names ("agg_sum"),
// "default" included.
func ParseResponsePolicy(s string) (ResponsePolicy, bool) {
	if s == "default" {
		return ResponseDefault, true
	}
	p, ok := responsePolicyNames[s]
	return p, ok
}

// Policy is the request and response policy of a command.
type Policy struct {
	// Request says where the command runs (request_policy tip).
	Request RequestPolicy
	// Response says how the replies of several nodes merge
	// (response_policy tip).
	Response ResponsePolicy
}

// KnownPolicies corrects the server's tips where they are known to be wrong
// or to mean something else for a client (Redis 7.0.15; redis/redis#12410,
// #12417, #13064). The keys are lower-case command names, "container|sub"
// for subcommands.
var KnownPolicies = map[string]Policy{
	// Tagged all_shards, but a PING answers for the node it reaches: one
	// node, as on a single Redis.
	"ping": {},
	// Tagged multi_shard, but all-or-nothing: never split (#12417).
	"msetnx": {},
	// Tagged all_shards without a merge: a random key of one random master.
	"randomkey": {},
	// Tagged all_shards/agg_min: WAIT counts the writes of the connection
	// it runs on, so the client sends it where its pipeline wrote.
	"wait": {},
}

// parseTips reads the request and response policies from an entry's tips;
// other tips are ignored.
func parseTips(v any) (Policy, []string, error) {
	list, err := tableList(v, "tips")
	if err != nil {
		return Policy{}, nil, err
	}
	var p Policy
	var tips []string
	for _, t := range list {
		s, ok := t.(string)
		if !ok {
			continue
		}
		tips = append(tips, s)
		if name, ok := strings.CutPrefix(s, "request_policy:"); ok {
			if r, ok := requestPolicyNames[name]; ok {
				p.Request = r
			}
		} else if name, ok := strings.CutPrefix(s, "response_policy:"); ok {
			if r, ok := responsePolicyNames[name]; ok {
				p.Response = r
			}
		}
	}
	return p, tips, nil
}

// WithPolicies returns a copy of t in which each named command (lower-case,
// "container|sub" for a subcommand, e.g. "script|load") has the given
// policy, or t itself when policies is empty. Names t does not know are
// ignored.
func (t *CommandTable) WithPolicies(policies map[string]Policy) *CommandTable {
	if t == nil || len(policies) == 0 {
		return t
	}
	next := &CommandTable{commands: make(map[string]*CommandInfo, len(t.commands))}
	for name, info := range t.commands {
		next.commands[name] = info
	}
	for name, p := range policies {
		name = asciiLower(name)
		container, sub, isSub := strings.Cut(name, "|")
		info := next.commands[container]
		if info == nil {
			continue
		}
		if !isSub {
			c := *info
			c.Policy = p
			c.classify()
			next.commands[container] = &c
			continue
		}
		old := info.subcommands[sub]
		if old == nil {
			continue
		}
		c := *info
		c.subcommands = make(map[string]*CommandInfo, len(info.subcommands))
		for k, v := range info.subcommands {
			c.subcommands[k] = v
		}
		s := *old
		s.Policy = p
		s.classify()
		c.subcommands[sub] = &s
		next.commands[container] = &c
	}
	return next.index()
}
