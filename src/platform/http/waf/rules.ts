/**
 * WAF rule tables (SPEC §5): which patterns mark an attack, and which fields and headers are
 * never looked at. Pure data; inspection.ts applies it, normalisation.ts prepares the values.
 *
 * All patterns have bounded repetition only (no nested quantifiers), and every value is cut to
 * MAX_VALUE_LENGTH before matching, so inspection is linear in the request size.
 */

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
export const SECRET_NAME_PARTS = ['password', 'passwd', 'secret', 'token'];

/** Headers never inspected: they carry credentials. */
export const SKIPPED_HEADERS = new Set([
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

/** Which normalised form of a value a rule is matched against (see normalisation.ts). */
export type Form = 'decoded' | 'sql' | 'compact';
export type Where = 'path' | 'query' | 'header' | 'user-agent' | 'body';

export interface Rule {
  id: string;
  form: Form;
  pattern: RegExp;
  /** Where the rule applies; all locations when absent. */
  only?: readonly Where[];
  except?: readonly Where[];
}

// Each pattern is linear: bounded repetition, no nested quantifiers.
export const RULES: readonly Rule[] = [
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
    // The SMS-Activate-compatible API keeps its historic path (`/stubs/handler_api.php`).
    id: 'scanner.foreign_extension',
    form: 'decoded',
    only: ['path'],
    pattern:
      /(?<!^\/stubs\/handler_api)\.(?:php\d?|phtml|asp|aspx|ashx|jsp|jspa|cgi|cfm|pl|do|action|ini|bak|sql|swp|old|orig|save|backup|tar|tgz|zip|7z|rar)(?:$|[/;])/,
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
