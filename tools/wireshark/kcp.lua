-- kcp.lua - Wireshark/tshark dissector for KCP (ARQ over UDP).
--
-- A UDP datagram carries one or more KCP segments back to back, each a
-- 24-byte little-endian header (conv, cmd, frg, wnd, ts, sn, una, len)
-- followed by len bytes of data. KCP has no well-known port, so the
-- dissector is registered on one UDP port (preference "port", 8000 by
-- default, 0 for none) and also as a heuristic dissector ("kcp_udp") that
-- claims a datagram only when every byte of it parses as whole segments.
--
--   tshark -X lua_script:tools/wireshark/kcp.lua -r FILE -Y kcp
--
-- The layout is the reference one (skywind3000/kcp, kcp-go): all fields
-- little-endian, no checksum, no handshake.
--
-- kcp-go and kcptun put their datagram codec in front of KCP (codec/,
-- docs/CODEC.md): a 16-byte nonce, a CRC32 of the rest, the whole encrypted.
-- With --crypt none the rest is readable: a datagram whose CRC32 matches is
-- shown as that header ("kcpgo"), its FEC header when it is an FEC shard
-- (seqid, type data/parity, size), and the KCP segments it carries.

local kcp = Proto("kcp", "KCP (ARQ over UDP)")

local HEADER_LEN = 24
local DEFAULT_PORT = 8000

local CMD_PUSH, CMD_ACK, CMD_WASK, CMD_WINS = 81, 82, 83, 84
local cmd_names = {
    [CMD_PUSH] = "PUSH",
    [CMD_ACK]  = "ACK",
    [CMD_WASK] = "WASK",
    [CMD_WINS] = "WINS",
}

local f = {
    conv = ProtoField.uint32("kcp.conv", "Conversation", base.HEX,
                             nil, nil, "Conversation id; both peers must agree"),
    cmd  = ProtoField.uint8("kcp.cmd", "Command", base.DEC, cmd_names),
    frg  = ProtoField.uint8("kcp.frg", "Fragments following", base.DEC,
                            nil, nil, "Message mode: fragments of this message still to come"),
    wnd  = ProtoField.uint16("kcp.wnd", "Window", base.DEC,
                             nil, nil, "Sender's free receive window, in segments"),
    ts   = ProtoField.uint32("kcp.ts", "Timestamp", base.DEC,
                             nil, nil, "PUSH: send time (ms); ACK: ts of the PUSH acked"),
    sn   = ProtoField.uint32("kcp.sn", "Sequence number", base.DEC,
                             nil, nil, "PUSH: this segment's sn; ACK: the sn acked"),
    una  = ProtoField.uint32("kcp.una", "Unacknowledged", base.DEC,
                             nil, nil, "Sender's rcv_nxt: every sn below it was received"),
    len  = ProtoField.uint32("kcp.len", "Length", base.DEC,
                             nil, nil, "Payload bytes after the header"),
    data = ProtoField.bytes("kcp.data", "Data"),
}
kcp.fields = { f.conv, f.cmd, f.frg, f.wnd, f.ts, f.sn, f.una, f.len, f.data }

local ef = {
    short_header = ProtoExpert.new("kcp.short_header", "KCP: short header",
                                   expert.group.MALFORMED, expert.severity.ERROR),
    len_beyond   = ProtoExpert.new("kcp.len_beyond", "KCP: len beyond datagram",
                                   expert.group.MALFORMED, expert.severity.ERROR),
    unknown_cmd  = ProtoExpert.new("kcp.unknown_cmd", "KCP: unknown cmd",
                                   expert.group.MALFORMED, expert.severity.ERROR),
}
kcp.experts = { ef.short_header, ef.len_beyond, ef.unknown_cmd }

kcp.prefs.port = Pref.uint("UDP port", DEFAULT_PORT,
                           "UDP port decoded as KCP (0: none; other ports rely on the heuristic)")

-- The one-line text of a segment, used in its subtree label and the Info column.
local function segment_summary(cmd, sn, len, wnd)
    local name = cmd_names[cmd]
    if cmd == CMD_PUSH then
        return string.format("PUSH sn=%u len=%u", sn, len)
    elseif cmd == CMD_ACK then
        return string.format("ACK sn=%u", sn)
    elseif cmd == CMD_WINS then
        return string.format("WINS wnd=%u", wnd)
    elseif name then
        return name
    end
    return string.format("cmd=%u sn=%u len=%u", cmd, sn, len)
end

-- True when the datagram is a chain of well-formed segments; the heuristic
-- uses it so that it never claims a datagram it would flag. Headers past a
-- short snap length cannot be read: the segments before them must do.
local function all_segments_parse(tvb)
    local total = tvb:reported_len()
    local captured = tvb:len()
    if total < HEADER_LEN or captured < HEADER_LEN then
        return false
    end
    local off = 0
    while off < total do
        if total - off < HEADER_LEN then
            return false
        end
        if captured - off < HEADER_LEN then
            return true
        end
        local cmd = tvb(off + 4, 1):uint()
        if not cmd_names[cmd] then
            return false
        end
        local len = tvb(off + 20, 4):le_uint()
        if len > total - off - HEADER_LEN then
            return false
        end
        off = off + HEADER_LEN + len
    end
    return true
end

-- Decode the segment at off into tree; returns the offset after it, or nil
-- when the rest of the datagram cannot be split further, plus its summary.
-- Malformed means against the datagram's real (reported) length; bytes a
-- short snap length left out of the capture are only marked as missing.
-- Set below, once the smux dissector is defined.
local dissect_smux_in

local function dissect_segment(tvb, tree, off, index)
    local left = tvb:reported_len() - off
    local cap_left = math.max(tvb:len() - off, 0)
    -- The captured bytes of the segment, at most n; a range may not start
    -- past the captured end, so a segment wholly cut off gets the empty
    -- range at that end.
    local function head(n)
        if cap_left == 0 then
            return tvb(tvb:len(), 0)
        end
        return tvb(off, math.min(n, cap_left))
    end
    if left < HEADER_LEN then
        local item = tree:add(kcp, head(left),
                              string.format("Segment %u: short header (%u of %u bytes)",
                                            index, left, HEADER_LEN))
        item:add_proto_expert_info(ef.short_header,
                                   string.format("KCP: short header (%u bytes, need %u)",
                                                 left, HEADER_LEN))
        return nil, "[short header]"
    end
    if cap_left < HEADER_LEN then
        tree:add(kcp, head(HEADER_LEN),
                 string.format("Segment %u: header cut off by the capture's snap length", index))
        return nil, "[cut off by the capture]"
    end

    local cmd = tvb(off + 4, 1):uint()
    local wnd = tvb(off + 6, 2):le_uint()
    local sn  = tvb(off + 12, 4):le_uint()
    local len = tvb(off + 20, 4):le_uint()
    local fits = len <= left - HEADER_LEN
    local body = math.min(len, left - HEADER_LEN)
    local captured_body = math.min(body, cap_left - HEADER_LEN)

    local summary = segment_summary(cmd, sn, len, wnd)
    local sub = tree:add(kcp, tvb(off, HEADER_LEN + captured_body),
                         string.format("Segment %u: %s", index, summary))
    sub:add_le(f.conv, tvb(off, 4))
    local cmd_item = sub:add(f.cmd, tvb(off + 4, 1))
    sub:add(f.frg, tvb(off + 5, 1))
    sub:add_le(f.wnd, tvb(off + 6, 2))
    sub:add_le(f.ts, tvb(off + 8, 4))
    sub:add_le(f.sn, tvb(off + 12, 4))
    sub:add_le(f.una, tvb(off + 16, 4))
    local len_item = sub:add_le(f.len, tvb(off + 20, 4))

    if not cmd_names[cmd] then
        cmd_item:add_proto_expert_info(ef.unknown_cmd,
                                       string.format("KCP: unknown cmd %u", cmd))
    end
    if not fits then
        len_item:add_proto_expert_info(ef.len_beyond,
                                       string.format("KCP: len beyond datagram (len %u, %u bytes left)",
                                                     len, left - HEADER_LEN))
        return nil, summary .. " [len beyond datagram]"
    end
    if captured_body > 0 then
        local data_item = sub:add(f.data, tvb(off + HEADER_LEN, captured_body))
        if captured_body < len then
            data_item:append_text(string.format(" [%u of %u bytes captured]", captured_body, len))
        end
        if cmd == CMD_PUSH then
            dissect_smux_in(tvb, sub, off + HEADER_LEN, captured_body)
        end
    end
    return off + HEADER_LEN + len, summary
end

-- ---- smux frames in PUSH data (kcptun without compression) ----------------

-- kcptun runs KCP in stream mode, so a PUSH segment's data is a piece of
-- the smux byte stream. When a segment starts at a frame boundary (it
-- usually does: kcptun writes a frame at a time) its frames are shown: a
-- heuristic, tried only when the first header is plausible (version 1 or
-- 2, a known command, a length the command allows). With kcptun's
-- compression on, the data is a snappy stream and nothing is shown. (The
-- protocol is "ksmux": Wireshark has an unrelated "smux", SNMP's.)
local smux = Proto("ksmux", "smux (kcptun's stream multiplexer)")
local SMUX_HEADER_LEN = 8
local smux_cmd_names = { [0] = "SYN", [1] = "FIN", [2] = "PSH", [3] = "NOP", [4] = "UPD" }
local sf = {
    ver      = ProtoField.uint8("ksmux.ver", "Version", base.DEC),
    cmd      = ProtoField.uint8("ksmux.cmd", "Command", base.DEC, smux_cmd_names),
    len      = ProtoField.uint16("ksmux.len", "Length", base.DEC),
    sid      = ProtoField.uint32("ksmux.sid", "Stream id", base.DEC),
    consumed = ProtoField.uint32("ksmux.upd.consumed", "Consumed", base.DEC,
                                 nil, nil, "Bytes of the stream the sender has read"),
    window   = ProtoField.uint32("ksmux.upd.window", "Window", base.DEC,
                                 nil, nil, "The sender's stream buffer"),
    data     = ProtoField.bytes("ksmux.data", "Data"),
}
smux.fields = { sf.ver, sf.cmd, sf.len, sf.sid, sf.consumed, sf.window, sf.data }

-- A plausible smux header at off with avail bytes from there on?
local function smux_header_ok(tvb, off, avail)
    if avail < SMUX_HEADER_LEN then
        return false
    end
    local ver, cmd = tvb(off, 1):uint(), tvb(off + 1, 1):uint()
    local len = tvb(off + 2, 2):le_uint()
    if (ver ~= 1 and ver ~= 2) or cmd > 4 or (cmd == 4 and ver ~= 2) then
        return false
    end
    if cmd == 0 or cmd == 1 or cmd == 3 then
        return len == 0
    end
    if cmd == 4 then
        return len == 8
    end
    return true
end

-- The smux frames in bytes [off, off + n) of tvb, under tree.
local function dissect_smux(tvb, tree, off, n)
    local stop = off + n
    if not smux_header_ok(tvb, off, n) then
        return
    end
    while stop - off >= SMUX_HEADER_LEN and smux_header_ok(tvb, off, stop - off) do
        local cmd = tvb(off + 1, 1):uint()
        local len = tvb(off + 2, 2):le_uint()
        local body = math.min(len, stop - off - SMUX_HEADER_LEN)
        local item = tree:add(smux, tvb(off, SMUX_HEADER_LEN + body),
                              string.format("smux %s sid=%u len=%u%s", smux_cmd_names[cmd],
                                            tvb(off + 4, 4):le_uint(), len,
                                            body < len and " (continues in the next segment)" or ""))
        item:add(sf.ver, tvb(off, 1))
        item:add(sf.cmd, tvb(off + 1, 1))
        item:add_le(sf.len, tvb(off + 2, 2))
        item:add_le(sf.sid, tvb(off + 4, 4))
        if cmd == 4 then
            item:add_le(sf.consumed, tvb(off + 8, 4))
            item:add_le(sf.window, tvb(off + 12, 4))
        elseif body > 0 then
            item:add(sf.data, tvb(off + SMUX_HEADER_LEN, body))
        end
        off = off + SMUX_HEADER_LEN + body
    end
end

dissect_smux_in = dissect_smux

-- The KCP segments of tvb under tree; returns the Info text.
local function dissect_segments(tvb, tree)
    local total = tvb:reported_len()
    local root = tree:add(kcp, tvb())
    local parts = {}
    local off = 0
    while off and off < total do
        local summary
        off, summary = dissect_segment(tvb, root, off, #parts + 1)
        parts[#parts + 1] = summary
    end
    root:append_text(string.format(", %u segment%s", #parts, #parts == 1 and "" or "s"))
    return table.concat(parts, ", ")
end

-- ---- kcp-go's datagram codec, crypt none -----------------------------------

local kcpgo = Proto("kcpgo", "kcp-go datagram codec (crypt none)")
local CODEC_HEADER_LEN = 20   -- nonce 16 + CRC32 4
local FEC_HEADER_LEN = 8      -- seqid 4 + type 2 + size 2
local FEC_DATA, FEC_PARITY = 0xf1, 0xf2
local gf = {
    nonce  = ProtoField.bytes("kcpgo.nonce", "Nonce", base.NONE, "Random per datagram"),
    crc    = ProtoField.uint32("kcpgo.crc", "CRC32", base.HEX, nil, nil,
                               "CRC32 (IEEE) of everything after it"),
    seqid  = ProtoField.uint32("kcpgo.fec.seqid", "FEC seqid", base.DEC),
    ftype  = ProtoField.uint16("kcpgo.fec.type", "FEC type", base.HEX,
                               { [FEC_DATA] = "data", [FEC_PARITY] = "parity" }),
    size   = ProtoField.uint16("kcpgo.fec.size", "FEC size", base.DEC, nil, nil,
                               "Data shard: KCP bytes + 2"),
    parity = ProtoField.bytes("kcpgo.fec.parity", "Parity"),
}
kcpgo.fields = { gf.nonce, gf.crc, gf.seqid, gf.ftype, gf.size, gf.parity }

-- CRC32 (IEEE, reflected, as zlib's), which the Lua API does not offer.
local crc_table = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if bit32.band(c, 1) ~= 0 then
            c = bit32.bxor(0xEDB88320, bit32.rshift(c, 1))
        else
            c = bit32.rshift(c, 1)
        end
    end
    crc_table[i] = c
end

-- True when tvb is a whole captured datagram with kcp-go's header and a
-- CRC32 that matches: a bare KCP datagram passes once in 2^32.
local function codec_crc_ok(tvb)
    local total = tvb:reported_len()
    if total < CODEC_HEADER_LEN or tvb:len() < total then
        return false
    end
    local bytes = tvb:bytes(CODEC_HEADER_LEN, total - CODEC_HEADER_LEN)
    local crc = 0xFFFFFFFF
    for i = 0, bytes:len() - 1 do
        crc = bit32.bxor(crc_table[bit32.band(bit32.bxor(crc, bytes:get_index(i)), 0xFF)],
                         bit32.rshift(crc, 8))
    end
    return bit32.bxor(crc, 0xFFFFFFFF) == tvb(16, 4):le_uint()
end

-- The codec header, the FEC header if any, and the KCP segments.
local function dissect_codec(tvb, pinfo, tree)
    local total = tvb:reported_len()
    local root = tree:add(kcpgo, tvb(0, CODEC_HEADER_LEN))
    root:add(gf.nonce, tvb(0, 16))
    root:add_le(gf.crc, tvb(16, 4)):append_text(" [correct]")
    local rest = total - CODEC_HEADER_LEN
    if rest == 0 then
        pinfo.cols.info = "kcp-go codec, empty"
        return
    end
    local ftype = rest >= 6 and tvb(CODEC_HEADER_LEN + 4, 2):le_uint() or 0
    if (ftype == FEC_DATA or ftype == FEC_PARITY) and rest >= FEC_HEADER_LEN then
        local seqid = tvb(CODEC_HEADER_LEN, 4):le_uint()
        local fec = root:add(kcpgo, tvb(CODEC_HEADER_LEN, FEC_HEADER_LEN), "FEC header")
        fec:add_le(gf.seqid, tvb(CODEC_HEADER_LEN, 4))
        fec:add_le(gf.ftype, tvb(CODEC_HEADER_LEN + 4, 2))
        local head = string.format("FEC %s seqid=%u", ftype == FEC_DATA and "data" or "parity", seqid)
        if ftype == FEC_PARITY then
            fec:add(gf.parity, tvb(CODEC_HEADER_LEN + 6, rest - 6))
            pinfo.cols.info = head
            return
        end
        fec:add_le(gf.size, tvb(CODEC_HEADER_LEN + 6, 2))
        if rest == FEC_HEADER_LEN then
            pinfo.cols.info = head
            return
        end
        local kcp_tvb = tvb(CODEC_HEADER_LEN + FEC_HEADER_LEN):tvb()
        pinfo.cols.info = head .. ": " .. dissect_segments(kcp_tvb, tree)
        return
    end
    pinfo.cols.info = dissect_segments(tvb(CODEC_HEADER_LEN):tvb(), tree)
end

function kcp.dissector(tvb, pinfo, tree)
    local total = tvb:reported_len()
    if tvb:len() == 0 then
        return 0
    end
    pinfo.cols.protocol = "KCP"
    if codec_crc_ok(tvb) then
        dissect_codec(tvb, pinfo, tree)
    else
        pinfo.cols.info = dissect_segments(tvb, tree)
    end
    return total
end

local function heuristic(tvb, pinfo, tree)
    if not all_segments_parse(tvb) and not codec_crc_ok(tvb) then
        return false
    end
    kcp.dissector(tvb, pinfo, tree)
    return true
end
kcp:register_heuristic("udp", heuristic)

local registered_port = 0

local function register_port()
    local udp_table = DissectorTable.get("udp.port")
    if registered_port ~= 0 then
        udp_table:remove(registered_port, kcp)
    end
    registered_port = kcp.prefs.port
    if registered_port ~= 0 then
        udp_table:add(registered_port, kcp)
    end
end

function kcp.prefs_changed()
    if kcp.prefs.port ~= registered_port then
        register_port()
    end
end

register_port()
