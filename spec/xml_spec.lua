-- SPDX-License-Identifier: MIT
-- wsman.xml: the library's reader (the core's xmltree.c through WSMan._xml_parse, src/lua/lxml.c)
-- against a pure-Lua oracle (spec/helpers/xml_oracle.lua). Every document either gives the same
-- tree from both or is refused by both:
-- real Windows recordings, every simulator instance, hand-written tricky documents, malformed
-- ones, and seeded random mutations of valid ones.
local WSMan = require "wsman"
local xml = require "wsman.xml"
local sim = require "helpers.sim"
local mutate = require "helpers.mutate"

local oracle = require "helpers.xml_oracle"
local parse_lua, parse_c = oracle.parse, rawget(WSMan, "_xml_parse")
local SHARED = (os.getenv("WSMAN_SOURCE_ROOT") or ".") .. "/../shared"

-- The first difference between two trees as "path: what", or nil when they are the same
-- (same keys everywhere, no metatables).
local function diff(a, b, path)
  path = path or "root"
  if type(a) ~= type(b) then return ("%s: %s vs %s"):format(path, type(a), type(b)) end
  if type(a) ~= "table" then
    if a ~= b then return ("%s: %q vs %q"):format(path, a, b) end
    return nil
  end
  if getmetatable(a) or getmetatable(b) then return path .. ": a metatable" end
  for k, v in pairs(a) do
    local d = diff(v, b[k], path .. "." .. tostring(k))
    if d then return d end
  end
  for k in pairs(b) do
    if a[k] == nil then return ("%s.%s: only in the C tree"):format(path, tostring(k)) end
  end
  return nil
end

-- Both readers on s: the same tree, or both refuse with an "XML: " message. Returns the tree
-- (nil when refused) and the two messages.
local function both(s, what)
  local okl, l = pcall(parse_lua, s)
  local okc, c = pcall(parse_c, s)
  what = what or ("%q"):format(#s > 200 and s:sub(1, 200) .. "..." or s)
  if okl ~= okc then
    error(("%s: Lua %s, C %s"):format(what, okl and "accepts" or ("refuses (" .. tostring(l) .. ")"),
      okc and "accepts" or ("refuses (" .. tostring(c) .. ")")), 2)
  end
  if not okl then
    assert(type(l) == "string" and l:find("^XML: "), what .. ": Lua message " .. tostring(l))
    assert(type(c) == "string" and c:find("^XML: "), what .. ": C message " .. tostring(c))
    return nil, l, c
  end
  local d = diff(l, c)
  if d then error(what .. ": trees differ at " .. d, 2) end
  return l
end

local function refused(s, what)
  local t, l, c = both(s, what)
  assert(t == nil, (what or s) .. ": accepted")
  return l, c
end

local function utf16(s, big)
  local out = { big and "\254\255" or "\255\254" }
  for _, cp in utf8.codes(s) do
    local units = { cp }
    if cp >= 0x10000 then
      cp = cp - 0x10000
      units = { 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF) }
    end
    for _, u in ipairs(units) do out[#out + 1] = string.pack(big and ">I2" or "<I2", u) end
  end
  return table.concat(out)
end

local function nest(n, open, close)
  return (open or "<e>"):rep(n) .. (close or "</e>"):rep(n)
end

describe("wsman.xml", function()
  it("reads with the C core", function()
    assert.is_function(parse_c)
    assert.is_nil(rawget(xml, "parse_lua"))
    local t = xml.parse('<p:A xmlns:p="urn:x"><p:B>1</p:B></p:A>')
    assert.same({ name = "p:A", lname = "A", ns = "urn:x", nsdecl = { { "p", "urn:x" } },
      { name = "p:B", lname = "B", ns = "urn:x", "1" } }, t)
  end)
end)

describe("the C reader and the Lua oracle give the same tree", function()
  it("for every response of the Windows recordings", function()
    local dir = SHARED .. "/captures/windows-pypsrp"
    if not sim.need_shared(dir .. "/test_client_execute_cmd.yml") then return end
    -- read with the simulator's reader of that YAML format (spec/sim/winrmsim/replay.py): one
    -- "file \1 response \0" record per response that is XML
    local script = os.tmpname()
    local fh = assert(io.open(script, "w"))
    fh:write([=[
import glob, sys
sys.path.insert(0, sys.argv[1])
from winrmsim import replay
for f in sorted(glob.glob(sys.argv[2] + "/*.yml")):
    if f.endswith("_template.yml"):
        continue
    for m in replay.load(f):
        r = m.get("response")
        if isinstance(r, str) and r.lstrip().startswith("<"):
            sys.stdout.write(f + "\x01" + r + "\x00")
]=])
    fh:close()
    local p = io.popen(("env -u LD_PRELOAD python3 %s %s %s"):format(script, sim.root .. "/spec/sim", dir))
    local all = p:read("a")
    p:close()
    os.remove(script)
    local n, files = 0, {}
    for f, r in all:gmatch("([^\1\0]*)\1([^\0]*)%z") do
      n = n + 1
      files[f] = true
      assert.is_table(both(r, f .. " #" .. n))
    end
    local nf = 0
    for _ in pairs(files) do nf = nf + 1 end
    assert.is_true(n >= 500 and nf >= 50, ("%d responses in %d files"):format(n, nf))
  end)

  describe("for every instance of every simulator class", function()
    local session

    setup(function()
      session = sim.session(sim.start { "--allow-unencrypted" })
    end)

    local names, ls = {}, io.popen("ls " .. sim.root .. "/spec/sim/data")
    for name in ls:read("a"):gmatch("([%w_%-]+)%.json") do
      if name ~= "winrm-config" then names[#names + 1] = name end
    end
    ls:close()

    it("(the data files)", function()
      assert.is_true(#names >= 14)
    end)

    for _, name in ipairs(names) do
      it(name, function()
        local n = 0
        for _, flags in ipairs { 0, WSMan.EnumerationFlagReturnObjectAndEPR } do
          local e = session:Enumerate(sim.CIMV2 .. name, "", "", flags)
          while not e.AtEndOfStream do
            local item = e:ReadItem()
            n = n + 1
            local t = both(item, name .. " item " .. n)
            assert.is_table(t)
            assert.equals(flags == 0 and name or "Item", t.lname)
            assert.is_table(both(utf16(item), name .. " item " .. n .. " as UTF-16"))
          end
        end
        assert.is_true(n >= 2)
      end)
    end

    it("winrm/config and Identify", function()
      assert.is_table(both(session:Get("winrm/config")))
      assert.is_table(both(session:Identify()))
    end)
  end)

  local TRICKY = {
    cdata = '<a>x<![CDATA[ <b>&amp; ]]>y<![CDATA[]]><![CDATA[1]]><![CDATA[2]]>z</a>',
    cdata_split_end = '<a><![CDATA[a]]]]><![CDATA[>b]]></a>',
    cdata_only = '<a><![CDATA[\n]]></a>',
    char_refs = '<a>&#65;&#x42;&#x1F600;&#xe9;&lt;&gt;&amp;&quot;&apos;&#13;&#10;&#9;&#x20;</a>',
    refs_and_text = '<a>one &amp; two &#x3C;three&#62;</a>',
    default_ns = '<a xmlns="urn:d" x="1"><b/><c xmlns=""><d/></c><e xmlns="urn:e"><f/></e></a>',
    attr_entities = [[<a x="&lt;&amp;&gt;&quot;&apos;" y='"' z="&#9;&#10;&#13;t" w="a&#x20;b" v='a&#39;b'/>]],
    attr_whitespace = '<a x="1\t2\n3  4" y=" "/>',
    whitespace = '\n\t <?xml-stylesheet href="x"?> <a>\n  <b> </b>\n\t<c/>\n</a>\n\n',
    whitespace_only_text = '<a> <b>  </b>\t</a>',
    decl = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<a/>',
    decl_utf16_in_utf8 = '<?xml version="1.0" encoding="UTF-16"?><a>\xc3\xa9</a>',
    bom = '\239\187\191<?xml version="1.0"?><a>\xe2\x82\xac</a>',
    bom_no_decl = '\239\187\191 <a/>',
    redeclared = '<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2" p:x="1"><p:c p:y="2"/></p:b>'
      .. '<p:d xmlns:q="urn:1" q:z="3"/></p:a>',
    many_decls = '<a xmlns:a="u1" xmlns:b="u2" xmlns:c="u3" xmlns="u4"><a:x b:y="1" c:z="2"/><x/></a>',
    same_local_other_ns = '<a xmlns:p="u1" xmlns:q="u2" p:x="1" q:x="2" x="3"/>',
    same_ns_two_prefixes = '<a xmlns:p="u" xmlns:q="u"><p:x/><q:x/></a>',
    xml_prefix = '<a xml:lang="en-US" xmlns:xml="http://www.w3.org/XML/1998/namespace"><xml:b/></a>',
    xmlns_element = '<xmlns:a/>',
    comments_and_pis = '<!-- c0 --><a>1<!-- c -->2<?pi x?>3<!---->4</a><!-- end --><?pi?>',
    non_ascii = '<\xc3\xa9:\xc3\xbc xmlns:\xc3\xa9="urn:\xc3\xa9" \xc3\xa9:\xc3\xa7="\xe2\x82\xac">'
      .. '\xc3\xb1\xf0\x9f\x98\x80</\xc3\xa9:\xc3\xbc>',
    empty_forms = '<a><b></b><c/><d> </d></a>',
    gt_and_quotes = [[<a x='say "hi"' y="it's > that">a > b ]] .. "]]" .. [[ c ]] .. "]] >" .. [[</a>]],
    spaces_in_tags = '<a\n  x = "1"\t y=\'2\'  ></a  >',
    crlf = '<a x="1\r\n2" y="3\r4">l1\r\nl2\rl3\r\r\n<![CDATA[c\r\nd\re]]>&#13;\r\n</a>\r\n',
    cr_in_tag_only = '<a\r\n x="1"\r\n/>',
    cr_in_tag_empty_values = '<a\r\n x=""\r\n y=\'\'/>',
    cr_with_refs = '<a x="&amp;&#x41;\r\n&#9;&lt;" y="\xc3\xa9\r\n">\r</a>',
    text_lines = '<a>\n</a>',
    xmlns_undeclare_default = '<a xmlns="urn:a"><b xmlns=""/><c/></a>',
    soap_fragment = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
      .. 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
      .. '<s:Body><p:X xmlns:p="urn:p" xsi:type="p:T"><p:N xsi:nil="true"/></p:X></s:Body></s:Envelope>',
    long_text = "<a>" .. ("abc &amp; def &#x263A; "):rep(20000) .. "</a>",
    long_attr = '<a x="' .. ("v&quot;"):rep(20000) .. '"/>',
    many_children = "<r>"
      .. ('<p:i xmlns:p="urn:a-rather-long-namespace-uri-that-is-not-interned/x">t</p:i>'):rep(3000) .. "</r>",
    many_prefixed_attrs = "<a xmlns:p='u1' xmlns:q='u2'" .. (function()
      local t = {}
      for i = 1, 20 do t[#t + 1] = (" p:a%d='%d' q:a%d='%d'"):format(i, i, i, i) end
      return table.concat(t)
    end)() .. "/>",
    deep_at_limit = nest(256),
    colon_prefix_decl = '<a xmlns:="urn:x"/>',
  }

  local names = {}
  for k in pairs(TRICKY) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    it("for " .. k .. " (and it as UTF-16)", function()
      local doc = TRICKY[k]
      local t = both(doc, k)
      if k ~= "colon_prefix_decl" then assert.is_table(t, k .. " is refused") end
      if utf8.len(doc) and doc:sub(1, 3) ~= "\239\187\191" then
        both(utf16(doc), k .. " in UTF-16LE")
        both(utf16(doc, true), k .. " in UTF-16BE")
      end
    end)
  end

  it("keeps text and CDATA as separate children, as written", function()
    local t = parse_c('<a>x<![CDATA[y]]>z<![CDATA[]]><!--c-->w&amp;v\r\n</a>')
    assert.same({ "x", "y", "z", "", "w&v\r\n" }, { t[1], t[2], t[3], t[4], t[5] })
    assert.equals(5, #t)
    local a = parse_c('<a x="1\r\n2&#10;3"/>').attrs[1]
    assert.same({ name = "x", lname = "x", value = "1  2 3" }, a)
  end)

  it("for UTF-16 with a BOM, little- and big-endian", function()
    local doc = '<?xml version="1.0" encoding="UTF-16"?>'
      .. '<p:a xmlns:p="urn:\xc3\xa9" p:x="\xf0\x9f\x98\x80">\xe2\x82\xac &amp;\r\n</p:a>'
    for _, big in ipairs { false, true } do
      local t = both(utf16(doc, big))
      assert.equals("\xe2\x82\xac &\r\n", t[1])
      assert.equals("\xf0\x9f\x98\x80", t.attrs[1].value)
      assert.equals("urn:\xc3\xa9", t.ns)
    end
  end)
end)

describe("both readers refuse", function()
  local MALFORMED = {
    mismatched = "<a><b></a></b>",
    mismatched_prefix = '<p:a xmlns:p="u"></q:a>',
    undeclared_prefix = "<p:a/>",
    undeclared_attr_prefix = '<a p:x="1"/>',
    undeclared_out_of_scope = '<a><b xmlns:p="u"/><p:c/></a>',
    undeclared_default_prefix = '<a xmlns="u"><p:b/></a>',
    dtd = '<!DOCTYPE a><a/>',
    dtd_internal = '<!DOCTYPE a [<!ELEMENT a ANY>]><a/>',
    billion_laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
      .. '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
      .. '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
      .. '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><lolz>&lol4;</lolz>',
    external_entity = '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
    undefined_entity = "<a>&e;</a>",
    bare_amp = "<a>fish & chips</a>",
    bare_amp_attr = '<a x="a & b"/>',
    amp_no_semicolon = "<a>&amp</a>",
    bad_char_ref = "<a>&#0;</a>",
    surrogate_char_ref = "<a>&#xD800;</a>",
    fffe_char_ref = "<a>&#xFFFE;</a>",
    upper_x_char_ref = "<a>&#X41;</a>",
    duplicate_attr = '<a x="1" x="2"/>',
    duplicate_expanded_attr = '<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>',
    duplicate_expanded_many = "<a xmlns:p='u' xmlns:q='u'" .. (function()
      local t = {}
      for i = 1, 12 do t[#t + 1] = (" p:a%d='1'"):format(i) end
      return table.concat(t)
    end)() .. " q:a7='2'/>",
    duplicate_decl = '<a xmlns:p="u" xmlns:p="v"/>',
    text_after_root = "<a/>x",
    second_root = "<a/><b/>",
    text_before_root = "x<a/>",
    cdata_outside = "<![CDATA[x]]><a/>",
    truncated = "<a><b>text</b>",
    truncated_tag = "<a",
    truncated_attr = '<a x="1',
    truncated_comment = "<a/><!-- x",
    truncated_cdata = "<a><![CDATA[x</a>",
    empty = "",
    whitespace_only = " \n\t ",
    comment_only = "<!-- c -->",
    garbage = "\0\1\2\3garbage\255\254",
    plain_text = "hello world",
    binary = "\137PNG\r\n\26\n\0\0\0\rIHDR",
    invalid_utf8 = "<a>\255</a>",
    overlong_utf8 = "<a>\xc0\xaf</a>",
    utf8_surrogate = "<a>\xed\xa0\x80</a>",
    control_char = "<a>\1</a>",
    control_char_attr = '<a x="\27"/>',
    nul = "<a>\0</a>",
    bad_qname = '<a:b:c xmlns:a="u"/>',
    colon_first = "<:a/>",
    colon_last = "<a:/>",
    attr_bad_qname = '<a xmlns:p="u" p:x:y="1"/>',
    local_part_digit = '<a:1b xmlns:a="u"/>',
    attr_local_part_hyphen = '<a xmlns:p="u" p:-x="1"/>',
    reserved_xmlns = '<a xmlns:xmlns="urn:x"/>',
    rebound_xml = '<a xmlns:xml="urn:x"/>',
    empty_prefix_decl = '<a xmlns:p=""/>',
    lt_in_attr = '<a x="<"/>',
    cdata_end_in_text = "<a>]]></a>",
    decl_not_first = ' <?xml version="1.0"?><a/>',
    decl_after_root = '<a/><?xml version="1.0"?>',
    double_hyphen_comment = "<a><!-- a -- b --></a>",
    comment_triple_hyphen = "<a><!-- a ---></a>",
    bad_markup = "<a><!x></a>",
    no_space_between_attrs = '<a x="1"y="2"/>',
    unquoted_attr = "<a x=1/>",
    attr_without_value = "<a x/>",
    space_after_lt = "< a/>",
    end_tag_junk = "<a></a x>",
    stray_end = "</a>",
    non_ascii_pi_target = "<a><?\xc3\xa9 x?></a>",
    too_deep = nest(257),
    far_too_deep = nest(100000),
    utf16_odd = "\255\254<\0a\0/\0>\0\0",
    utf16_lone_high = "\255\254<\0a\0>\0" .. "\0\216" .. "<\0/\0a\0>\0",
    utf16_lone_low = "\254\255\0<\0a\0>" .. "\220\0" .. "\0<\0/\0a\0>",
    utf16_truncated_pair = "\255\254<\0a\0/\0>\0\0\216",
    utf16_nul = "\255\254<\0a\0>\0\0\0<\0/\0a\0>\0",
    utf16_without_bom = "<\0a\0/\0>\0",
  }

  local names = {}
  for k in pairs(MALFORMED) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    it(k, function()
      refused(MALFORMED[k], k)
    end)
  end

  it("with the same message for what the namespace rules, the limits and UTF-16 refuse", function()
    for _, k in ipairs { "undeclared_prefix", "undeclared_attr_prefix", "undeclared_out_of_scope", "bad_qname",
      "colon_first", "attr_bad_qname", "reserved_xmlns", "rebound_xml", "empty_prefix_decl",
      "duplicate_expanded_attr", "too_deep", "utf16_odd", "utf16_lone_high", "utf16_lone_low" } do
      local l, c = refused(MALFORMED[k], k)
      assert.equals(l, c, k)
    end
    assert.equals("XML: undeclared namespace prefix 'p' at offset 3", select(2, pcall(parse_c, "<a><p:b/></a>")))
  end)

  it("a non-string, as xml.lua does", function()
    for _, v in ipairs { 1, true, {} } do
      local _, l = pcall(parse_lua, v)
      local _, c = pcall(parse_c, v)
      assert.equals(l, c)
    end
  end)

  it("documents over max_bytes and elements deeper than max_depth", function()
    local saved_bytes, saved_depth = oracle.max_bytes, oracle.max_depth
    oracle.max_bytes, oracle.max_depth = 20, 3
    local ok1, l1 = pcall(parse_lua, "<a>0123456789abcdef</a>")
    local ok2, l2 = pcall(parse_lua, "<a><b><c><d/></c></b></a>")
    local ok3 = pcall(parse_lua, "<a><b><c/></b></a>")
    oracle.max_bytes, oracle.max_depth = saved_bytes, saved_depth
    assert.is_false(ok1)
    assert.is_false(ok2)
    assert.is_true(ok3)
    assert.equals(l1, select(2, pcall(parse_c, "<a>0123456789abcdef</a>", 3, 20)))
    assert.equals(l2, select(2, pcall(parse_c, "<a><b><c><d/></c></b></a>", 3, 20)))
    assert.is_table(parse_c("<a><b><c/></b></a>", 3, 20))
    assert.matches("max_depth", select(2, pcall(parse_c, "<a/>", 0)))
  end)
end)

describe("seeded random mutations of valid documents", function()
  -- Where both accept, the trees are the same; what one refuses, the other refuses. No XML
  -- declaration or processing instruction is mutated: Expat checks their syntax (a version, a
  -- target Name followed by white space) where xml.lua only looks for "?>", so only the C
  -- reader refuses broken ones (the tricky documents above have both, intact).
  local DECL = '<?xml version="1.0" encoding="utf-8"?>'
  local SEEDS = {
    '<p:A xmlns:p="urn:x" a="1"><p:B q="&amp;">t&lt;x</p:B><![CDATA[c]]><!--k--><p:C/></p:A>',
    '<s:E xmlns:s="urn:s" xmlns="urn:d"><b x="1\r\n2">a\r\nb</b><c xmlns="">&#65;</c></s:E>',
    '<a xmlns:p="u1" xmlns:q="u2" p:x="1" q:x="2"><b xml:lang="en"> \t</b></a>',
  }
  local PIECES = { "<", ">", "/", "&", ";", ":", '"', "'", "=", " ", "\r", "\n", "\t", "a", "p:", "q:", "xmlns",
    "xmlns:p", "]]>", "<![CDATA[", "<!--", "-->", "&amp;", "&#10;", "&#x9;", "\0", "\1", "\195\169",
    "\255", "\239\191\190" }

  it("3000 of them", function()
    math.randomseed(20240611)
    local accepted = 0
    for i = 1, 3000 do
      local s = SEEDS[i % #SEEDS + 1]
      s = mutate(s, PIECES)
      if i % 4 == 0 then s = DECL .. s end
      if both(s, ("mutation %d %q"):format(i, s)) then accepted = accepted + 1 end
    end
    assert.is_true(accepted > 200, accepted .. " accepted")
  end)
end)
