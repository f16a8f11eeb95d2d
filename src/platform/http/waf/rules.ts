/**
 * WAF rule engine (SPEC §5): pure functions, no I/O.
 *
 * `inspect` looks at a request's path, query, headers and (parsed) body and returns the first rule
 * that matches with where it matched, or null. Values are URL-decoded a bounded number of times
 * (so `%2e%2e%2f` and `%252e%252e%252f` are seen as `../`), lower-cased and, for SQL rules, have
 * their comments removed. Fields whose names say they hold secrets (password, token, otp, …) are
 * never inspected: passwords may contain any symbol, and nothing from them may reach a log line.
 *
 * The result never contains the matched value, only a rule id and a sanitised location such as
 * `query.q`, `header.user-agent` or `body.profile.name`.
 *
 * All patterns have bounded repetition only (no nested quantifiers), and every value is cut to
 * MAX_VALUE_LENGTH before matching, so inspection is linear in the request size.
 */

export interface WafRequest {
  /** The request path, raw (still URL-encoded), without the query string. */
  path: string;
  /** The raw query string (without `?`) or an already parsed query object. */
  query: Record<string, unknown> | string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface InspectOptions {
  /** Extra field names to skip (added to the default secret-field names). */
  skipFields?: string[];
}

export interface WafMatch {
  /** `<category>.<pattern>`, e.g. `sqli.union_select`, `xss.script_tag`, `scanner.user_agent`. */
  rule: string;
  /** Where: `path`, `query.<name>`, `header.<name>`, `body.<json path>` (sanitised). */
  location: string;
}

/** Longest part of one value that is inspected. */
export const MAX_VALUE_LENGTH = 16 * 1024;
/** Limits of the JSON body walk. */
export const MAX_BODY_DEPTH = 12;
export const MAX_BODY_NODES = 2_000;
export const MAX_BODY_CHARS = 256 * 1024;
/** How many times a value is URL-decoded (catches double and triple encoding). */
const MAX_DECODE_ROUNDS = 4;

/** Field names never inspected (compared lower-case with `_` and `-` removed). */
export const DEFAULT_SKIP_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'oldPassword',
  'confirmPassword',
  'passwordConfirmation',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'resetToken',
  'otp',
  'totp',
  'mfaCode',
  'secret',
  'clientSecret',
  'captcha',
  'signature',
  'apiKey',
  'cardNumber',
  'cvv',
  'cvc',
];
/** Substrings that mark a field as secret whatever the rest of its name. */
const SECRET_NAME_PARTS = ['password', 'passwd', 'secret', 'token'];

/** Headers never inspected: they carry credentials. */
const SKIPPED_HEADERS = new Set([
  'cookie',
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'x-csrf-token',
  'x-xsrf-token',
  'namaskah-signature',
  'x-paystack-signature',
  'x-textverified-signature',
  'x-hub-signature',
  'x-hub-signature-256',
]);

type Form = 'decoded' | 'sql' | 'compact';
type Where = 'path' | 'query' | 'header' | 'user-agent' | 'body';

interface Rule {
  id: string;
  form: Form;
  pattern: RegExp;
  /** Where the rule applies; all locations when absent. */
  only?: readonly Where[];
  except?: readonly Where[];
}

// Each pattern is linear: bounded repetition, no nested quantifiers.
const RULES: readonly Rule[] = [
  // --- scanners -------------------------------------------------------------------------------
  {
    id: 'scanner.user_agent',
    form: 'decoded',
    only: ['user-agent'],
    pattern:
      /\b(?:sqlmap|nikto|nmap|masscan|acunetix|wpscan|nessus|openvas|zgrab|dirbuster|gobuster|dirb|wfuzz|ffuf|nuclei|w3af|havij|netsparker|arachni|skipfish|whatweb|jaeles|commix|xsstrike|zmeu|morfeus|fimap|hydra|appscan|webinspect|paros|owasp[ _-]?zap|jorgee|masscan|zgrab2?|l9explore|l9tcpid)\b/,
  },
  {
    id: 'scanner.dotfile_probe',
    form: 'decoded',
    only: ['path'],
    pattern:
      /(?:^|\/)\.(?:env|git|svn|hg|bzr|ds_store|htaccess|htpasswd|aws|ssh|docker|npmrc|vscode|idea|bash_history)(?:[/._~-]|$)/,
  },
  {
    id: 'scanner.known_probe',
    form: 'decoded',
    only: ['path'],
    pattern:
      /(?:^|\/)(?:wp-admin|wp-login|wp-content|wp-includes|wp-config|xmlrpc\.php|phpmyadmin|pma|myadmin|mysqladmin|adminer|phpinfo|server-status|server-info|cgi-bin|boaform|hnap1|jmx-console|autodiscover|owa|telescope|_ignition|solr|actuator|vendor\/phpunit|manager\/html|id_rsa)(?:[/._-]|$)/,
  },
  {
    id: 'scanner.foreign_extension',
    form: 'decoded',
    only: ['path'],
    pattern:
      /\.(?:php\d?|phtml|asp|aspx|ashx|jsp|jspa|cgi|cfm|pl|do|action|ini|bak|sql|swp|old|orig|save|backup|tar|tgz|zip|7z|rar)(?:$|[/;])/,
  },

  // --- path traversal -------------------------------------------------------------------------
  {
    id: 'path_traversal.dot_dot',
    form: 'decoded',
    except: ['body'],
    pattern: /(?:^|[\\/])\.\.(?:[\\/]|$)/,
  },
  {
    // In free text a single "../" is plausible (a relative markdown link); two levels are not.
    id: 'path_traversal.dot_dot',
    form: 'decoded',
    only: ['body'],
    pattern: /(?:^|[\\/=\s"'(])\.\.[\\/]\.\.[\\/]/,
  },
  {
    id: 'path_traversal.null_byte',
    form: 'decoded',
    only: ['path', 'query'],
    pattern: /\0/,
  },
  {
    id: 'path_traversal.sensitive_file',
    form: 'decoded',
    pattern:
      /\/etc\/(?:passwd|shadow|group|hosts|issue|sudoers)\b|\/proc\/self\/|\/proc\/\d{1,7}\/environ|[a-z]:\\windows\\|\bwin\.ini\b|\bboot\.ini\b|web-inf\/web\.xml/,
  },

  // --- SQL injection --------------------------------------------------------------------------
  {
    id: 'sqli.tautology',
    form: 'sql',
    pattern:
      /['"`]\s{0,10}\){0,3}\s{0,10}(?:or|and|xor|\|\||&&)\b\s{0,10}\(?\s{0,10}['"`]?[\w-]{0,30}['"`]?\s{0,10}(?:=|<>|!=|<=>|>=|<=|<|>|\blike\b)/,
  },
  {
    id: 'sqli.tautology',
    form: 'sql',
    pattern:
      /\b(?:or|and)\s{1,10}(\d{1,10})\s{0,10}(?:=|<=>|\blike\b)\s{0,10}\1\b|\b(?:or|and)\s{1,10}(?:true|1)\s{0,10}(?:--|#|;)/,
  },
  {
    id: 'sqli.union_select',
    form: 'sql',
    pattern: /\bunion\b[\s(]{1,20}(?:all\b|distinct\b)?[\s(]{0,20}select\b/,
  },
  {
    id: 'sqli.stacked_query',
    form: 'sql',
    pattern:
      /;\s{0,20}(?:drop\s{1,10}(?:table|database|schema|view|user|index|function)\b|delete\s{1,10}from\b|truncate\s{1,10}(?:table\s)?\s{0,10}\w|alter\s{1,10}(?:table|user|database)\b|create\s{1,10}(?:table|user|database|function|trigger|procedure)\b|insert\s{1,10}into\b|update\s{1,10}[\w."`[\]]{1,64}\s{1,10}set\b|exec(?:ute)?\s{0,10}(?:\(|xp_|sp_|master\b)|shutdown\b|declare\s{1,10}@|grant\s{1,10}all\b|select\s{1,10}(?:\*|@@|pg_|sleep\b|benchmark\b|load_file\b|version\b))/,
  },
  {
    id: 'sqli.time_based',
    form: 'sql',
    pattern:
      /\b(?:sleep|pg_sleep|benchmark)\s{0,10}\(\s{0,10}\d{1,10}\s{0,10}[,)]|\bwaitfor\s{1,10}(?:delay|time)\s{1,10}['"]|\bdbms_pipe\.receive_message\b|\bdbms_lock\.sleep\b/,
  },
  {
    id: 'sqli.comment_terminator',
    form: 'decoded',
    pattern: /['"`]\s{0,10}\){0,3}\s{0,10}(?:--(?:\s|$)|#\s{0,5}$|\/\*)|['"`]\s{0,10};\s{0,10}--/,
  },
  {
    id: 'sqli.dangerous_function',
    form: 'sql',
    pattern:
      /\b(?:load_file|extractvalue|updatexml|xp_cmdshell|sp_executesql|sp_oacreate|information_schema|pg_catalog|sysobjects|syscolumns|sqlite_master|utl_http|utl_inaddr)\b|@@(?:version|datadir|hostname)\b|\binto\s{1,10}(?:out|dump)file\b|\bmysql\.user\b/,
  },

  // --- XSS ------------------------------------------------------------------------------------
  {
    id: 'xss.script_tag',
    form: 'decoded',
    pattern: /<\s{0,5}\/?\s{0,5}(?:script|iframe|frame|frameset|object|embed|applet|isindex)\b/,
  },
  {
    id: 'xss.dangerous_tag',
    form: 'decoded',
    pattern:
      /<\s{0,5}(?:base|meta|link|form|svg|math|style)\b[^>]{0,300}\s(?:href|http-equiv|content|action|src|xlink:href|onload)\s{0,5}=/,
  },
  {
    id: 'xss.event_handler',
    form: 'decoded',
    pattern:
      /(?:^|[\s/"'`<;])on(?:error|load|click|dblclick|mouse[a-z]{0,10}|focus|focusin|focusout|blur|key[a-z]{0,5}|submit|change|input|toggle|begin|end|animation[a-z]{0,10}|transition[a-z]{0,10}|pointer[a-z]{0,10}|touch[a-z]{0,10}|drag[a-z]{0,10}|drop|wheel|scroll|resize|unload|beforeunload|message|hashchange|popstate|copy|cut|paste|select|show|play|pause|ended|abort|auxclick|contextmenu|formdata|invalid|reset|search|pageshow|readystatechange)\s{0,10}=/,
  },
  {
    id: 'xss.javascript_uri',
    form: 'compact',
    pattern: /(?:^|[=("'`[\]<>])(?:javascript|vbscript|livescript):/,
  },
  {
    id: 'xss.data_uri',
    form: 'compact',
    pattern: /(?:^|[=("'`[\]<>])data:text\/html[;,]/,
  },
  {
    id: 'xss.dom_sink',
    form: 'decoded',
    pattern:
      /\bdocument\s{0,5}\.\s{0,5}(?:cookie|domain|write|location)\b|\bwindow\s{0,5}\.\s{0,5}location\b|\beval\(|\bfromcharcode\(|\b(?:alert|prompt|confirm)\(\s{0,5}(?:\d|['"`]|document\b|window\b|\))|\bsrcdoc\s{0,5}=|\bexpression\s{0,5}\(/,
  },

  // --- command injection: a shell separator (; | newline backtick && $( ) then a command --------
  {
    id: 'command_injection.network_tool',
    form: 'decoded',
    pattern:
      /(?:[;|\n`]|&&|\$\()\s{0,10}(?:wget|curl|nc|ncat|netcat|telnet|nslookup|ping|dig|socat)\s{1,10}(?:-|\d|https?:|ftp:|[a-z0-9-]{1,63}\.[a-z0-9])/,
  },
  {
    id: 'command_injection.file_command',
    form: 'decoded',
    pattern:
      /(?:[;|\n`]|&&|\$\()\s{0,10}(?:cat|more|less|head|tail|ls|rm|chmod|chown|cp|mv|echo|touch|kill|find|grep)\s{1,10}[-/~.$'"]/,
  },
  {
    id: 'command_injection.bare_command',
    form: 'decoded',
    pattern:
      /(?:[;|\n`]|&&|\$\()\s{0,10}(?:id|whoami|uname|pwd|ifconfig|ipconfig|hostname|ls|env|printenv|netstat|ps)\s{0,10}(?:$|[;|&`)#])/,
  },
  {
    id: 'command_injection.shell',
    form: 'decoded',
    pattern:
      /(?:[;|\n`]|&&|\$\()\s{0,10}(?:bash|sh|zsh|ksh|dash|cmd|powershell|pwsh|python[23]?|perl|php|ruby|node)\s{1,10}-[a-z]/,
  },
  {
    id: 'command_injection.sleep',
    form: 'decoded',
    pattern: /(?:[;|\n`]|&&|\$\()\s{0,10}sleep\s{1,10}\d/,
  },
  {
    id: 'command_injection.indicator',
    form: 'decoded',
    pattern:
      /\/bin\/(?:sh|bash|zsh|nc|busybox)\b|\/dev\/tcp\/|\$\{ifs\}|\$ifs\b|\bcmd(?:\.exe)?\s{1,5}\/c\s|\bpowershell(?:\.exe)?\s{1,5}-(?:e|enc|encodedcommand|c|command|nop)\b|\(\)\s{0,5}\{\s{0,5}:?\s{0,5};?\s{0,5}\}\s{0,5};/,
  },
];

// ---------------------------------------------------------------------------------------------

export function inspect(request: WafRequest, opts: InspectOptions = {}): WafMatch | null {
  return (
    inspectPath(request.path) ??
    inspectQuery(request.query, opts) ??
    inspectHeaders(request.headers) ??
    (request.body === undefined ? null : inspectBody(request.body, opts))
  );
}

export function inspectPath(path: string): WafMatch | null {
  if (path === '') return null;
  const rule = matchValue(path, 'path', false);
  return rule ? { rule, location: 'path' } : null;
}

export function inspectQuery(
  query: Record<string, unknown> | string,
  opts: InspectOptions = {},
): WafMatch | null {
  const skip = skipSet(opts);
  if (typeof query === 'string') {
    const raw = query.startsWith('?') ? query.slice(1) : query;
    if (raw === '') return null;
    for (const pair of raw.slice(0, MAX_BODY_CHARS).split('&')) {
      const eq = pair.indexOf('=');
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
      const key = decodeRepeatedly(rawKey.toLowerCase(), true).value;
      if (isSecretField(key, skip)) continue;
      const location = `query.${sanitizeLocation(key)}`;
      const keyRule = matchValue(rawKey, 'query', true);
      if (keyRule) return { rule: keyRule, location };
      const valueRule = matchValue(rawValue, 'query', true);
      if (valueRule) return { rule: valueRule, location };
    }
    return null;
  }
  return walk(query, 'query', 'query', skip);
}

export function inspectHeaders(headers: Record<string, string | string[] | undefined>): WafMatch | null {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || SKIPPED_HEADERS.has(lower)) continue;
    const where: Where = lower === 'user-agent' ? 'user-agent' : 'header';
    for (const v of Array.isArray(value) ? value : [value]) {
      const rule = matchValue(v, where, false);
      if (rule) return { rule, location: `header.${sanitizeLocation(lower)}` };
    }
  }
  return null;
}

export function inspectBody(body: unknown, opts: InspectOptions = {}): WafMatch | null {
  return walk(body, 'body', 'body', skipSet(opts));
}

// ---------------------------------------------------------------------------------------------

function walk(root: unknown, where: 'body' | 'query', prefix: string, skip: Set<string>): WafMatch | null {
  let nodes = 0;
  let chars = 0;
  const stack: Array<{ value: unknown; location: string; depth: number }> = [
    { value: root, location: prefix, depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, location, depth } = stack.pop()!;
    if (++nodes > MAX_BODY_NODES || chars > MAX_BODY_CHARS) return null;
    if (typeof value === 'string') {
      chars += value.length;
      const rule = matchValue(value, where, false);
      if (rule) return { rule, location };
      continue;
    }
    if (value === null || typeof value !== 'object' || depth >= MAX_BODY_DEPTH) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], location: `${location}[${i}]`, depth: depth + 1 });
      }
      continue;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (isSecretField(key, skip)) continue;
      const childLocation = `${location}.${sanitizeLocation(key)}`;
      chars += key.length;
      const keyRule = matchValue(key, where, false);
      if (keyRule) return { rule: keyRule, location: childLocation };
      stack.push({ value: child, location: childLocation, depth: depth + 1 });
    }
  }
  return null;
}

function matchValue(raw: string, where: Where, plusIsSpace: boolean): string | null {
  if (raw === '') return null;
  const { value, exhausted } = decodeRepeatedly(
    (raw.length > MAX_VALUE_LENGTH ? raw.slice(0, MAX_VALUE_LENGTH) : raw).toLowerCase(),
    plusIsSpace,
  );
  // Still encoded after every round: nobody encodes a URL five times but a filter-evasion attempt.
  if (exhausted && (where === 'path' || where === 'query')) return 'evasion.nested_encoding';
  const decoded = decodeHtmlEntities(value);
  let sql: string | undefined;
  let compact: string | undefined;
  for (const rule of RULES) {
    if (rule.only && !rule.only.includes(where)) continue;
    if (rule.except && rule.except.includes(where)) continue;
    let subject: string;
    if (rule.form === 'sql') subject = sql ??= stripSqlComments(decoded);
    else if (rule.form === 'compact') subject = compact ??= removeWhitespaceAndControls(decoded);
    else subject = decoded;
    if (rule.pattern.test(subject)) return rule.id;
  }
  return null;
}

/** URL-decodes up to MAX_DECODE_ROUNDS times (overlong and %u forms too); `exhausted` when it could go on. */
function decodeRepeatedly(lower: string, plusIsSpace: boolean): { value: string; exhausted: boolean } {
  let current = plusIsSpace ? lower.replaceAll('+', ' ') : lower;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    if (!current.includes('%')) return { value: current, exhausted: false };
    const next = percentDecode(current).toLowerCase();
    if (next === current) return { value: current, exhausted: false };
    current = next;
  }
  return { value: current, exhausted: current.includes('%') && percentDecode(current) !== current };
}

const OVERLONG: ReadonlyArray<[string, string]> = [
  ['%c0%ae', '.'],
  ['%e0%80%ae', '.'],
  ['%c0%af', '/'],
  ['%e0%80%af', '/'],
  ['%c1%9c', '\\'],
  ['%c1%1c', '\\'],
];

function percentDecode(s: string): string {
  let input = s;
  for (const [from, to] of OVERLONG) if (input.includes(from)) input = input.replaceAll(from, to);
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    }
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '%') {
      if (input[i + 1] === 'u' && isHex(input, i + 2, 4)) {
        flush();
        out += String.fromCharCode(parseInt(input.slice(i + 2, i + 6), 16));
        i += 5;
        continue;
      }
      if (isHex(input, i + 1, 2)) {
        bytes.push(parseInt(input.slice(i + 1, i + 3), 16));
        i += 2;
        continue;
      }
    }
    flush();
    out += ch;
  }
  flush();
  return out;
}

function isHex(s: string, from: number, count: number): boolean {
  if (from + count > s.length) return false;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    if (!hex) return false;
  }
  return true;
}

const NAMED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
  colon: ':',
  tab: '\t',
  newline: '\n',
  sol: '/',
  lpar: '(',
  rpar: ')',
};

/** Decodes `&lt;`, `&#60;`, `&#x3c;` (with or without `;`) — a single pass, linear. */
function decodeHtmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== '&') {
      out += ch;
      continue;
    }
    let j = i + 1;
    let decoded: string | undefined;
    if (s[j] === '#') {
      j++;
      const hex = s[j] === 'x';
      if (hex) j++;
      const start = j;
      while (
        j < s.length &&
        j - start < 8 &&
        (hex ? isHex(s, j, 1) : s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57)
      )
        j++;
      if (j > start) {
        const code = parseInt(s.slice(start, j), hex ? 16 : 10);
        if (code > 0 && code <= 0x10ffff) decoded = String.fromCodePoint(code);
      }
    } else {
      const start = j;
      while (j < s.length && j - start < 8 && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
      const name = s.slice(start, j);
      if (Object.hasOwn(NAMED_ENTITIES, name) && s[j] === ';') decoded = NAMED_ENTITIES[name];
    }
    if (decoded === undefined) {
      out += ch;
      continue;
    }
    if (s[j] === ';') j++;
    out += decoded.toLowerCase();
    i = j - 1;
  }
  return out;
}

/** Replaces `/* … *\/` comments by a space; keeps the body of MySQL `/*!50000 … *\/` comments. */
function stripSqlComments(s: string): string {
  if (!s.includes('/*')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('/*', i);
    if (open < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, open) + ' ';
    if (s[open + 2] === '!') {
      let j = open + 3;
      while (j < s.length && j - open < 9 && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      i = j;
      continue;
    }
    const close = s.indexOf('*/', open + 2);
    if (close < 0) break;
    i = close + 2;
  }
  return out.replaceAll('*/', ' ');
}

function removeWhitespaceAndControls(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) continue;
    out += s[i];
  }
  return out;
}

function normalizeFieldName(name: string): string {
  return name.toLowerCase().replaceAll('_', '').replaceAll('-', '');
}

const DEFAULT_SKIP = new Set(DEFAULT_SKIP_FIELDS.map(normalizeFieldName));

function skipSet(opts: InspectOptions): Set<string> {
  if (!opts.skipFields || opts.skipFields.length === 0) return DEFAULT_SKIP;
  return new Set([...DEFAULT_SKIP, ...opts.skipFields.map(normalizeFieldName)]);
}

function isSecretField(name: string, skip: Set<string>): boolean {
  const normalized = normalizeFieldName(name);
  return skip.has(normalized) || SECRET_NAME_PARTS.some((part) => normalized.includes(part));
}

/** A location safe to log: at most 64 characters of `[a-z0-9_.-]`, the rest replaced. */
function sanitizeLocation(name: string): string {
  const cut = name.length > 64 ? name.slice(0, 64) : name;
  let out = '';
  for (const ch of cut) out += /[A-Za-z0-9_-]/.test(ch) ? ch : '_';
  return out;
}
