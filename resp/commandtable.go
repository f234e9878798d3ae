package resp

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// ErrInvalidCommandTable is wrapped by every error ParseCommandTable returns:
// the reply does not have the shape of a COMMAND reply.
var ErrInvalidCommandTable = errors.New("resp: malformed COMMAND reply")

// CommandFlags is the set of flags of a command, as listed in the third
// element of its COMMAND entry.
type CommandFlags uint64

// The command flags. Flag strings the package does not know are ignored.
const (
	FlagWrite           CommandFlags = 1 << iota // "write": may modify the data set
	FlagReadOnly                                 // "readonly": only reads keys
	FlagDenyOOM                                  // "denyoom": refused when out of memory
	FlagModule                                   // "module": implemented by a module
	FlagAdmin                                    // "admin": administrative command
	FlagPubSub                                   // "pubsub": pub/sub command
	FlagNoScript                                 // "noscript": not allowed in scripts
	FlagRandom                                   // "random": non-deterministic (before Redis 7)
	FlagSortForScript                            // "sort_for_script": output sorted in scripts (before Redis 7)
	FlagBlocking                                 // "blocking": may block the client
	FlagLoading                                  // "loading": allowed while loading the data set
	FlagStale                                    // "stale": allowed on a replica with stale data
	FlagSkipMonitor                              // "skip_monitor": not shown in MONITOR
	FlagSkipSlowlog                              // "skip_slowlog": not shown in SLOWLOG
	FlagAsking                                   // "asking": accepts importing slots without ASKING
	FlagFast                                     // "fast": O(1) or O(log N)
	FlagNoAuth                                   // "no_auth": allowed before authentication
	FlagMayReplicate                             // "may_replicate": may be propagated to replicas
	FlagNoMandatoryKeys                          // "no_mandatory_keys": may take no key at all
	FlagNoMulti                                  // "no_multi": not allowed in MULTI
	FlagMovableKeys                              // "movablekeys": key positions depend on the arguments
	FlagAllowBusy                                // "allow_busy": allowed while a script is busy
	FlagNoAsyncLoading                           // "no_async_loading": refused during async loading
)

// commandFlagNames maps the flag strings of a COMMAND reply to their flag.
var commandFlagNames = map[string]CommandFlags{
	"write":             FlagWrite,
	"readonly":          FlagReadOnly,
	"denyoom":           FlagDenyOOM,
	"module":            FlagModule,
	"admin":             FlagAdmin,
	"pubsub":            FlagPubSub,
	"noscript":          FlagNoScript,
	"random":            FlagRandom,
	"sort_for_script":   FlagSortForScript,
	"blocking":          FlagBlocking,
	"loading":           FlagLoading,
	"stale":             FlagStale,
	"skip_monitor":      FlagSkipMonitor,
	"skip_slowlog":      FlagSkipSlowlog,
	"asking":            FlagAsking,
	"fast":              FlagFast,
	"no_auth":           FlagNoAuth,
	"may_replicate":     FlagMayReplicate,
	"no_mandatory_keys": FlagNoMandatoryKeys,
	"no_multi":          FlagNoMulti,
	"movablekeys":       FlagMovableKeys,
	"allow_busy":        FlagAllowBusy,
	"no_async_loading":  FlagNoAsyncLoading,
}

// Has reports whether all the flags of want are set in f.
func (f CommandFlags) Has(want CommandFlags) bool { return f&want == want }

// CommandInfo describes one command or subcommand of a CommandTable. It must
// not be modified.
type CommandInfo struct {
	// Name is the lower-case name; "container|sub" for a subcommand, such as
	// "memory|usage".
	Name string
	// Arity is the number of arguments, name included; -N means at least N.
	Arity int
	// Flags are the command flags.
	Flags CommandFlags
	// FirstKey, LastKey and Step are the legacy key positions: keys are at
	// FirstKey, FirstKey+Step, ... up to LastKey (negative: counted from the
	// end, -1 being the last argument). FirstKey 0 means no fixed keys.
	FirstKey, LastKey, Step int
	// KeySpecs are the key specifications (Redis 7 and later).
	KeySpecs []KeySpec
	// Tips are the command's tips (Redis 7 and later), such as
	// "request_policy:all_shards".
	Tips []string
	// Policy is where the command runs in a cluster and how its replies
	// are merged: from the tips, corrected by KnownPolicies and by the
	// overrides of CommandTable.WithPolicies.
	Policy Policy
	// Class says how the command can run on a shared pipelined
	// connection.
	Class Class
	// Refusal says why not, when Class is ClassRefused.
	Refusal Refusal

	subcommands map[string]*CommandInfo // by lower-case subcommand name
	finder      keyFinder               // how KeyPositions finds the keys
}

// CommandTable is the server's command table, parsed from the reply of
// COMMAND. It is immutable, so it is safe for concurrent reads.
type CommandTable struct {
	commands map[string]*CommandInfo // by lower-case name
	// exact holds every command under its lower-case and its upper-case
	// name, the spellings callers use, found without folding.
	exact map[string]*CommandInfo
}

// index builds t.exact from t.commands.
func (t *CommandTable) index() *CommandTable {
	t.exact = make(map[string]*CommandInfo, 2*len(t.commands))
	for name, info := range t.commands {
		t.exact[name] = info
		t.exact[strings.ToUpper(name)] = info
	}
	return t
}

// ParseCommandTable parses a decoded COMMAND reply: an array of command
// entries, each [name, arity, flags, first key, last key, step, ...] followed
// (Redis 6+) by ACL categories, (Redis 7+) tips, key specs and subcommands.
// Values are string, int64, nil, []any or map[string]any; key specs may be
// RESP2 flat key/value arrays or RESP3 maps. Unknown fields are ignored. The
// error of a malformed reply wraps ErrInvalidCommandTable.
func ParseCommandTable(reply any) (*CommandTable, error) {
	entries, ok := reply.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: reply is %T, want an array", ErrInvalidCommandTable, reply)
	}
	t := &CommandTable{commands: make(map[string]*CommandInfo, len(entries))}
	for i, e := range entries {
		info, err := parseCommandInfo(e, "")
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrInvalidCommandTable, i, err)
		}
		t.commands[info.Name] = info
	}
	return t.index(), nil
}

// parseCommandInfo parses one COMMAND entry; container is the name of the
// parent of a subcommand, "" for a command.
func parseCommandInfo(v any, container string) (*CommandInfo, error) {
	fields, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("entry is %T, want an array", v)
	}
	if len(fields) < 6 {
		return nil, fmt.Errorf("entry has %d elements, want at least 6", len(fields))
	}
	name, ok := fields[0].(string)
	if !ok || name == "" {
		return nil, fmt.Errorf("name is %T %v, want a non-empty string", fields[0], fields[0])
	}
	name = asciiLower(name)
	if container != "" && !strings.Contains(name, "|") {
		name = container + "|" + name
	}
	info := &CommandInfo{Name: name}
	var err error
	if info.Arity, err = tableInt(fields[1], "arity"); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if info.Flags, err = parseCommandFlags(fields[2]); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i, dst := range []*int{&info.FirstKey, &info.LastKey, &info.Step} {
		if *dst, err = tableInt(fields[3+i], "key position"); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(fields) > 7 {
		if info.Policy, info.Tips, err = parseTips(fields[7]); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if p, ok := KnownPolicies[name]; ok {
			info.Policy = p
		}
	}
	if len(fields) > 8 {
		if info.KeySpecs, err = parseKeySpecs(fields[8]); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(fields) > 9 && container == "" {
		if err := info.parseSubcommands(fields[9]); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	info.finder = chooseKeyFinder(info)
	info.classify()
	return info, nil
}

// parseCommandFlags parses the array of flag strings of an entry.
func parseCommandFlags(v any) (CommandFlags, error) {
	list, err := tableList(v, "flags")
	if err != nil {
		return 0, err
	}
	var flags CommandFlags
	for _, f := range list {
		s, ok := f.(string)
		if !ok {
			return 0, fmt.Errorf("flag is %T, want a string", f)
		}
		flags |= commandFlagNames[asciiLower(s)]
	}
	return flags, nil
}

// parseSubcommands parses the subcommand entries of a container command.
func (c *CommandInfo) parseSubcommands(v any) error {
	list, err := tableList(v, "subcommands")
	if err != nil || len(list) == 0 {
		return err
	}
	c.subcommands = make(map[string]*CommandInfo, len(list))
	for i, e := range list {
		sub, err := parseCommandInfo(e, c.Name)
		if err != nil {
			return fmt.Errorf("subcommand %d: %w", i, err)
		}
		c.subcommands[sub.Name[strings.LastIndexByte(sub.Name, '|')+1:]] = sub
	}
	return nil
}

// Lookup returns the command of args (args[0] is the name, in any case). For
// a container command such as MEMORY or XINFO with len(args) > 1, it returns
// the subcommand named by args[1] (e.g. "memory|usage") when the table knows
// it, else the container. It does not allocate for names up to 32 bytes.
func (t *CommandTable) Lookup(args []string) (*CommandInfo, bool) {
	if t == nil || len(args) == 0 {
		return nil, false
	}
	info := t.exact[args[0]]
	if info == nil {
		if info = lookupFold(t.commands, args[0]); info == nil {
			return nil, false
		}
	}
	if info.subcommands != nil && len(args) > 1 {
		if sub := lookupFold(info.subcommands, args[1]); sub != nil {
			return sub, true
		}
	}
	return info, true
}

// KeyPositions appends to dst the indexes into args (args[0] being the command
// name) of the keys of the command, in ascending order and each once, and
// returns it. For an unknown command it returns dst unchanged and ok false.
// A known command without keys (PING, INFO) gives ok true and no positions.
// See CommandInfo.KeyPositions for how keys are found. It does not allocate
// when dst has room for the keys.
func (t *CommandTable) KeyPositions(args []string, dst []int) (keys []int, ok bool) {
	info, ok := t.Lookup(args)
	if !ok {
		return dst, false
	}
	return info.KeyPositions(args, dst), true
}

// lookupFold returns m[lower-case name] without allocating for short names.
func lookupFold(m map[string]*CommandInfo, name string) *CommandInfo {
	upper := false
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return m[name]
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return m[asciiLower(name)]
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return m[string(b)] // the compiler does not allocate for this conversion
}

// asciiLower lower-cases the ASCII letters of s, as Redis does for names.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// tableInt converts an integer of the reply, which must fit in an int32 as
// it does in the server.
func tableInt(v any, what string) (int, error) {
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case int:
		n = int64(v)
	default:
		return 0, fmt.Errorf("%s is %T, want an integer", what, v)
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%s %d out of range", what, n)
	}
	return int(n), nil
}

// tableList converts an array of the reply; nil is an empty array.
func tableList(v any, what string) ([]any, error) {
	switch v := v.(type) {
	case []any:
		return v, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%s is %T, want an array", what, v)
}

// keyFinder selects how CommandInfo.KeyPositions finds keys.
type keyFinder uint8

const (
	findBySpecs    keyFinder = iota // key specs, plus legacy positions for incomplete ones
	findByLegacy                    // FirstKey/LastKey/Step (no key specs: Redis < 7)
	findForSort                     // SORT: key and STORE destination
	findForMigrate                  // MIGRATE: key, or the keys after KEYS
)

// builtinFinders are parsers for the commands whose key specs the server
// itself does not trust (it falls back to code for them too).
var builtinFinders = map[string]keyFinder{
	"sort":    findForSort,
	"migrate": findForMigrate,
}

func chooseKeyFinder(c *CommandInfo) keyFinder {
	if len(c.KeySpecs) == 0 {
		return findByLegacy
	}
	for i := range c.KeySpecs {
		if !c.KeySpecs[i].complete() {
			if f, ok := builtinFinders[c.Name]; ok {
				return f
			}
		}
	}
	return findBySpecs
}

// KeyPositions appends to dst the indexes into args (args[0] being the
// command name) of the keys of the command, in ascending order and each once,
// and returns it. It uses the key specs when there are some, and the legacy
// FirstKey/LastKey/Step when there are none or a spec cannot find its keys
// (type "unknown" or flag "incomplete"); SORT (STORE) and MIGRATE (KEYS) are
// parsed like the server does. Shard channels (SPUBLISH, SSUBSCRIBE: key specs
// flagged not_key) are included, since they are routed like keys. Arguments
// too short for a spec give no keys for it. It does not allocate when dst has
// room for the keys.
func (c *CommandInfo) KeyPositions(args []string, dst []int) []int {
	switch c.finder {
	case findByLegacy:
		return c.appendLegacyKeys(args, dst)
	case findForSort:
		return appendSortKeys(args, dst)
	case findForMigrate:
		return appendMigrateKeys(args, dst)
	}
	start, sources, legacy := len(dst), 0, false
	for i := range c.KeySpecs {
		s := &c.KeySpecs[i]
		n := len(dst)
		if dst = s.appendKeys(args, dst); len(dst) > n {
			sources++
		}
		legacy = legacy || !s.complete()
	}
	if legacy {
		n := len(dst)
		if dst = c.appendLegacyKeys(args, dst); len(dst) > n {
			sources++
		}
	}
	if sources > 1 {
		keys := dst[start:]
		slices.Sort(keys)
		dst = dst[:start+len(slices.Compact(keys))]
	}
	return dst
}

// appendLegacyKeys appends the keys given by FirstKey, LastKey and Step.
func (c *CommandInfo) appendLegacyKeys(args []string, dst []int) []int {
	last := c.LastKey
	if last < 0 {
		last += len(args)
	}
	return appendKeyRange(dst, c.FirstKey, last, c.Step, len(args))
}

// appendSortKeys finds the keys of SORT key [BY p] [LIMIT o c] [GET p ...]
// [ASC|DESC] [ALPHA] [STORE dst], like the server's sortGetKeys: the last
// STORE wins; BY and GET patterns are not keys.
func appendSortKeys(args []string, dst []int) []int {
	if len(args) < 2 {
		return dst
	}
	store := 0
	for i := 2; i < len(args); i++ {
		switch a := args[i]; {
		case asciiEqualFold(a, "limit"):
			i += 2
		case asciiEqualFold(a, "get"), asciiEqualFold(a, "by"):
			i++
		case asciiEqualFold(a, "store") && i+1 < len(args):
			store = i + 1
		}
	}
	dst = append(dst, 1)
	if store > 0 {
		dst = append(dst, store)
	}
	return dst
}

// appendMigrateKeys finds the keys of MIGRATE host port key|"" db timeout
// [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key ...], like the
// server's migrateGetKeys: with KEYS the keys follow it (the key argument
// must be empty, else no keys), without it the key is args[3].
func appendMigrateKeys(args []string, dst []int) []int {
	if len(args) < 4 {
		return dst
	}
	for i := 6; i < len(args); i++ {
		switch a := args[i]; {
		case asciiEqualFold(a, "keys"):
			if args[3] != "" {
				return dst
			}
			return appendKeyRange(dst, i+1, len(args)-1, 1, len(args))
		case asciiEqualFold(a, "auth"):
			i++
		case asciiEqualFold(a, "auth2"):
			i += 2
		}
	}
	return append(dst, 3)
}
