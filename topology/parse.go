package topology

import (
	"fmt"
)

// ParseShards builds a SlotMap from a decoded CLUSTER SHARDS reply (Redis 7+).
// fallbackHost replaces a missing or unknown endpoint; it should be the host
// of the node that answered. Shards without slots or without a healthy master
// are left out.
func ParseShards(reply any, fallbackHost string) (*SlotMap, error) {
	return parseShards(reply, fallbackHost, false)
}

// ParseShardsTLS is ParseShards for a client that connects over TLS: a
// node's tls-port is its address's port, its port only when it names no
// tls-port.
func ParseShardsTLS(reply any, fallbackHost string) (*SlotMap, error) {
	return parseShards(reply, fallbackHost, true)
}

func parseShards(reply any, fallbackHost string, tls bool) (*SlotMap, error) {
	list, ok := reply.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: CLUSTER SHARDS reply is %T, not an array", ErrMalformedReply, reply)
	}
	var shards []Shard
	for _, item := range list {
		fields, err := fieldMap(item)
		if err != nil {
			return nil, fmt.Errorf("shard: %w", err)
		}
		slots, err := optionalList(fields, "slots")
		if err != nil {
			return nil, err
		}
		if len(slots)%2 != 0 {
			return nil, fmt.Errorf("%w: odd slot bounds list", ErrMalformedReply)
		}
		var shard Shard
		for i := 0; i < len(slots); i += 2 {
			r, err := slotRange(slots[i], slots[i+1])
			if err != nil {
				return nil, err
			}
			shard.Ranges = append(shard.Ranges, r)
		}
		nodes, err := optionalList(fields, "nodes")
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			node, err := fieldMap(n)
			if err != nil {
				return nil, fmt.Errorf("shard node: %w", err)
			}
			// A master must be online; a replica may also be "loading":
			// Redis 7.0 says so of every replica whose replication offset
			// is still 0, such as the replicas of an empty master.
			health, _ := node["health"].(string)
			role, _ := node["role"].(string)
			if health != "" && health != "online" && (role == "master" || health != "loading") {
				continue
			}
			first, second := "port", "tls-port"
			if tls {
				first, second = second, first
			}
			port, ok := node[first].(int64)
			if !ok {
				port, ok = node[second].(int64)
			}
			if !ok {
				return nil, fmt.Errorf("%w: shard node without port", ErrMalformedReply)
			}
			// An empty or "?" endpoint means "the host you asked"; the ip
			// counts only when the node names no endpoint at all.
			host, hasEndpoint := node["endpoint"].(string)
			if !hasEndpoint {
				host, _ = node["ip"].(string)
			}
			addr := joinAddr(host, port, fallbackHost)
			if hostname, _ := node["hostname"].(string); hostname != "" {
				if shard.Hostnames == nil {
					shard.Hostnames = map[string]string{}
				}
				shard.Hostnames[addr] = hostname
			}
			if role == "master" {
				shard.Master = addr
				shard.MasterID, _ = node["id"].(string)
			} else {
				shard.Replicas = append(shard.Replicas, addr)
			}
		}
		if shard.Master == "" || len(shard.Ranges) == 0 {
			continue
		}
		shards = append(shards, shard)
	}
	return NewSlotMap(shards)
}

// ParseSlots builds a SlotMap from a decoded CLUSTER SLOTS reply, for servers
// older than Redis 7. Ranges served by the same master are merged into one
// shard.
func ParseSlots(reply any, fallbackHost string) (*SlotMap, error) {
	list, ok := reply.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: CLUSTER SLOTS reply is %T, not an array", ErrMalformedReply, reply)
	}
	var shards []Shard
	byMaster := map[string]int{}
	for _, item := range list {
		entry, ok := item.([]any)
		if !ok || len(entry) < 3 {
			return nil, fmt.Errorf("%w: CLUSTER SLOTS entry %v", ErrMalformedReply, item)
		}
		r, err := slotRange(entry[0], entry[1])
		if err != nil {
			return nil, err
		}
		var addrs []string
		var masterID string
		for i, n := range entry[2:] {
			node, ok := n.([]any)
			if !ok || len(node) < 2 {
				return nil, fmt.Errorf("%w: CLUSTER SLOTS node %v", ErrMalformedReply, n)
			}
			host, _ := node[0].(string)
			port, ok := node[1].(int64)
			if !ok {
				return nil, fmt.Errorf("%w: CLUSTER SLOTS node port %v", ErrMalformedReply, node[1])
			}
			if i == 0 && len(node) > 2 {
				masterID, _ = node[2].(string)
			}
			addrs = append(addrs, joinAddr(host, port, fallbackHost))
		}
		i, seen := byMaster[addrs[0]]
		if !seen {
			i = len(shards)
			byMaster[addrs[0]] = i
			shards = append(shards, Shard{Master: addrs[0], MasterID: masterID, Replicas: addrs[1:]})
		}
		shards[i].Ranges = append(shards[i].Ranges, r)
	}
	return NewSlotMap(shards)
}

// optionalList returns the array field name of fields; a missing or null
// field is an empty list, any other type an error.
func optionalList(fields map[string]any, name string) ([]any, error) {
	switch v := fields[name].(type) {
	case nil:
		return nil, nil
	case []any:
		return v, nil
	default:
		return nil, fmt.Errorf("%w: shard field %q is %T, not an array", ErrMalformedReply, name, v)
	}
}

// fieldMap reads a RESP2 flat name/value array or a RESP3 map.
func fieldMap(v any) (map[string]any, error) {
	switch v := v.(type) {
	case map[string]any:
		return v, nil
	case []any:
		if len(v)%2 != 0 {
			return nil, fmt.Errorf("%w: odd field list of %d items", ErrMalformedReply, len(v))
		}
		m := make(map[string]any, len(v)/2)
		for i := 0; i < len(v); i += 2 {
			name, ok := v[i].(string)
			if !ok {
				return nil, fmt.Errorf("%w: field name %v", ErrMalformedReply, v[i])
			}
			m[name] = v[i+1]
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: %T is not a field list", ErrMalformedReply, v)
}

func slotRange(first, last any) (SlotRange, error) {
	f, ok1 := first.(int64)
	l, ok2 := last.(int64)
	if !ok1 || !ok2 || f < 0 || l < f || l >= SlotCount {
		return SlotRange{}, fmt.Errorf("%w: slot range %v-%v", ErrMalformedReply, first, last)
	}
	return SlotRange{First: uint16(f), Last: uint16(l)}, nil
}
