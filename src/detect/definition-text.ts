/**
 * Text rules of the definition scanner (`scanDefinition` in ./definitions.ts): instructions aimed at
 * the model, fake system/important tags, secrecy towards the user, requests for secrets or
 * sensitive files, fishing for conversation history, generic shadowing phrases and exfiltration
 * targets. Rules match a folded copy of the text (lower case, invisible characters dropped, NFKC,
 * accents removed) and report spans in the original text.
 */
import { CHAR_CLASS, FOLD, IGNORABLE } from './fold.js';
import type { Finding, FindingKind, Severity } from './types.js';

/** A string to scan with its folded form; `map[i]` is the original offset of folded unit `i`. */
export interface Folded {
  readonly original: string;
  readonly text: string;
  readonly map: readonly number[] | undefined;
}

const DROP = /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\p{M}]/u;

/**
 * Folds `s` for matching with the shared folding table (`fold.ts`): lower case, NFKC compatibility
 * forms, accents dropped, look-alike Cyrillic/Greek letters and typographic quotes mapped to ASCII,
 * invisible and combining characters dropped; tag characters and supplementary variation
 * selectors dropped too (the invisible rule reports them). One table look-up per code unit.
 */
export function fold(s: string): Folded {
  if (/^[\x00-\x7f]*$/.test(s)) return { original: s, text: s.toLowerCase(), map: undefined };
  const codes = new Uint16Array(s.length);
  const map: number[] = [];
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0xdb40) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xddef) {
        i++;
        continue;
      }
    }
    if (CHAR_CLASS[c] === IGNORABLE) continue;
    codes[n++] = FOLD[c] ?? c;
    map.push(i);
  }
  return { original: s, text: new TextDecoder('utf-16le').decode(codes.subarray(0, n)), map };
}

/** A pattern written in natural text, folded like the texts it is matched against (non-ASCII only). */
function foldPattern(re: RegExp): RegExp {
  if (/^[\x00-\x7f]*$/.test(re.source)) return re;
  let src = '';
  for (let i = 0; i < re.source.length; i++) {
    const c = re.source.charCodeAt(i);
    src += c < 128 ? re.source[i] : String.fromCharCode(FOLD[c] ?? c);
  }
  return new RegExp(src, re.flags);
}

/** Maps a folded span back to the original string. */
export function span(f: Folded, start: number, end: number): { start: number; end: number } {
  if (f.map === undefined) return { start, end };
  const s = f.map[start] ?? f.original.length;
  const last = f.map[Math.max(start, end - 1)];
  return { start: s, end: last === undefined ? f.original.length : Math.min(f.original.length, last + 1) };
}

/** Evidence for a span: at most 120 characters, control and invisible characters shown as escapes. */
export function evidenceOf(s: string, start: number, end: number): string {
  const raw = s.slice(start, Math.min(end, start + 160));
  let out = '';
  for (const ch of raw) {
    const cp = ch.codePointAt(0) ?? 0;
    const hidden =
      cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || DROP.test(ch) || (cp >= 0xe0000 && cp <= 0xe01ef);
    out += hidden && ch !== '\n' ? `\\u{${cp.toString(16)}}` : ch === '\n' ? ' ' : ch;
    if (out.length >= 120) break;
  }
  return out.slice(0, 120);
}

/** Where a string sits in a definition; rules differ for names, property names and free text. */
export type TextRole = 'name' | 'propertyName' | 'text' | 'uri';

interface Rule {
  readonly rule: string;
  readonly kind: FindingKind;
  readonly severity: Severity;
  readonly re: RegExp;
  /** Roles the rule applies to (default: free text only). */
  readonly roles?: readonly TextRole[];
}

const USER = String.raw`(?:the\s+)?(?:user|users|human|humans|operator|customer|person|anyone|them|him|her)\b`;
const MODEL = String.raw`(?:ai|llm|model|assistant|agent|claude|gpt|chatbot|ai\s+(?:model|assistant|agent))`;
const SECRET = String.raw`(?:passwords?|passphrases?|api[\s_-]?keys?|access[\s_-]?keys?|secret[\s_-]?keys?|private[\s_-]?keys?|secrets|tokens?|credentials|session[\s_-]?cookies?|cookies|seed[\s_-]?phrases?|mnemonic|recovery[\s_-]?phrases?|ssh[\s_-]?keys?|2fa[\s_-]?codes?|one[\s_-]?time[\s_-]?codes?)`;
const HISTORY = String.raw`(?:(?:full|entire|complete|whole)\s+(?:conversation|chat|dialog(?:ue)?)|(?:full|entire|complete|whole)\s+(?:history|context|transcript)\s+of\s+(?:the|this|our|your)\s+(?:conversation|chat|session|dialog(?:ue)?)|(?:conversation|chat|dialog(?:ue)?|message)\s+(?:history|log|so\s+far|transcript)|transcript\s+of\s+the\s+(?:conversation|chat)|(?:all\s+)?(?:previous|prior|earlier|past)\s+(?:user\s+)?(?:messages|requests|turns|prompts)|(?:last|recent)\s+\w+\s+messages|(?:your|the)\s+(?:complete\s+|full\s+)?system\s+(?:prompt|message|instructions)|(?:hidden|developer|secret)\s+instructions|instructions\s+you\s+(?:were|have\s+been)\s+given|everything\s+you\s+know\s+about\s+the\s+user|(?:you|it)\s+(?:have|has)\s+seen)`;

/** Free-text rules, each a regular expression over the folded text. */
const RULES: readonly Rule[] = (
  [
    // Fake role or emphasis tags: they only exist to be read by a model.
    {
      rule: 'definition.hidden-tag',
      kind: 'poisoning',
      severity: 'high',
      re: /<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|sys|assistant|critical|prompt|note|override|context)\b[^<>]{0,40}>/g,
    },
    {
      rule: 'definition.hidden-tag',
      kind: 'poisoning',
      severity: 'critical',
      re: /<\|\s*(?:im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id)\s*\|>/g,
    },
    { rule: 'definition.hidden-tag', kind: 'poisoning', severity: 'high', re: /<!--[\s\S]{0,4000}?-->/g },
    {
      rule: 'definition.hidden-tag',
      kind: 'poisoning',
      severity: 'high',
      re: /(?:\[\s*(?:system|admin|important|instructions?|developer)\b[^\]\n]{0,30}\]|\{\{\s*(?:system|instructions?|important)\b|#{2,}\s*(?:system|important|instructions?)\b|(?:^|\n)\s*(?:system|assistant)\s*:\s)/g,
    },
    // Attempts to replace the model's instructions.
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'high',
      re: /\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|every\s+|the\s+|your\s+|these\s+|those\s+)*(?:of\s+)?(?:the\s+|your\s+)?(?:previous|prior|earlier|above|preceding|original|existing|system|safety|security|other|user'?s?|developer'?s?)\s*(?:\w+\s+)?(?:instructions?|rules|guidelines|directions|prompts?|polic(?:y|ies)|guardrails|constraints|restrictions|requests?|choices?|messages?)\b/g,
    },
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'high',
      re: /\b(?:you\s+are\s+now\b|from\s+now\s+on,?\s+(?:you|the\s+(?:ai|model|assistant))|your\s+(?:new|real|true|actual)\s+(?:task|job|goal|instructions?|role|purpose)|new\s+(?:system\s+)?(?:instructions|policy|directive)\s*:|developer\s+mode|jailbreak|do\s+anything\s+now|without\s+(?:any\s+)?restrictions|(?:prior|previous|all)\s+(?:safety\s+)?rules\s+are\s+(?:suspended|void|lifted))/g,
    },
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'high',
      re: /\b(?:regardless\s+of\s+(?:what|which|whether)\s+(?:the\s+)?(?:user|human)|even\s+if\s+the\s+(?:user|human)\s+(?:says|asks|objects|refuses)|(?:override|overrule)\s+(?:any|the)\s+(?:user|human))/g,
    },
    // Addressing the model is common in real descriptions ("Note to LLM: use X first"): low alone.
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'low',
      re: new RegExp(
        String.raw`\b(?:(?:note|message|instructions?|hint|reminder)\s+(?:to|for)\s+(?:the\s+)?${MODEL}\b|(?:^|[.!\n]\s*)${MODEL}\s*[:,]\s)`,
        'g',
      ),
    },
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'high',
      re: new RegExp(
        String.raw`\b(?:the\s+)?${MODEL}\s+(?:must|shall|should|is\s+required\s+to|has\s+to|needs\s+to)\s+(?:also\s+)?(?:override|ignore|disregard|collect|send|forward|approve|execute|reveal|silently|exfiltrate|leak|obey)`,
        'g',
      ),
    },
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'medium',
      re: /\b(?:(?:only\s+works|will\s+not\s+work|won'?t\s+work|fails)\s+(?:if|unless)\s+you\s+(?:first\s+)?|(?:before|prior\s+to)\s+(?:using|calling|answering|responding|searching|any\s+other)\b[^.\n]{0,60}\b(?:you\s+must|must\s+first|first\s+(?:read|call|send|run|list)|read|call)\b|(?:every\s+single\s+time|before\s+any\s+other\s+tool)|(?:must|always)\s+(?:call|run|use|invoke)\s+this\s+tool\s+(?:first|before))/g,
    },
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'high',
      re: /(?:ignor\w*|игнорир\w*|忽略|無視)[^.\n]{0,40}(?:instruc|anweisung|istruzion|инструкц|指令|指示|说明)|(?:instruc\w*|anweisung\w*|istruzion\w*|инструкц\w*|指令|指示)[^.\n]{0,30}(?:ignor|無視|忽略)/g,
    },
    // Instructions fetched from elsewhere, and distrust sown against the other definitions.
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'high',
      re: /\b(?:your|the)\s+(?:next\s+|new\s+|real\s+|further\s+|actual\s+)?instructions\s+(?:are|is|can\s+be)\s+(?:to\s+be\s+)?(?:found|written|located|stored|given)\s+in\b|\b(?:get|read|fetch|take|load|receive)\s+(?:your\s+)?(?:next|new|further|real|actual)\s+instructions\s+from\b|\b(?:tool\s+)?descriptions\s+(?:are|have\s+been|were)\s+(?:\w+\s+)?(?:outdated|changed|compromised|tampered|not\s+to\s+be\s+trusted|untrustworthy|declared\s+(?:as\s+)?outdated)/g,
    },
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'medium',
      re: /\b(?:follow|execute|obey|carry\s+out)\s+the\s+instructions\s+(?:written\s+|found\s+|contained\s+|given\s+)?in\s+(?:the\s+)?(?:file|files|url|page|document|result|response|output|log)\b/g,
    },
    // Skipping the user's consent.
    {
      rule: 'definition.secrecy',
      kind: 'poisoning',
      severity: 'high',
      re: /\b(?:do\s+not|don'?t|never|no\s+need\s+to|without\s+(?:having\s+)?to)\s+(?:ask|request|wait\s+for|seek)\s+(?:the\s+user\s+|the\s+human\s+)?(?:for\s+)?(?:\w+\s+)?(?:confirmation|permission|approval|consent)\b|\bskip\s+(?:the\s+|any\s+)?(?:user\s+)?(?:confirmation|approval|consent)\b/g,
    },
    // Manipulated results and borrowed authority: the model is told to mislead or that consent exists.
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'high',
      re: /\b(?:return|give|report|answer\s+with|respond\s+with|provide|tell\s+the\s+user|show)\s+(?:a|an|the)?\s*(?:deliberately\s+|intentionally\s+|subtly\s+|slightly\s+)?(?:wrong|incorrect|false|fake|fabricated|misleading|altered)\s+(?:answer|result|value|number|information|data|output|sum|balance|price)s?\b/g,
    },
    {
      rule: 'definition.instruction',
      kind: 'poisoning',
      severity: 'medium',
      re: /\b(?:add|subtract|multiply)\s+(?:\d+|one|two|ten)\s+(?:to|from|by)\s+(?:the|every|each|any)\s+(?:result|answer|output|sum|total|value)\b|\bthe\s+user\s+(?:has\s+)?(?:already\s+)?(?:requested|authori[sz]ed|approved|consented|asked|wants)\s+(?:that\s+)?you\s+(?:to\s+)?/g,
    },
    // Secrecy towards the user.
    {
      rule: 'definition.secrecy',
      kind: 'poisoning',
      severity: 'high',
      re: new RegExp(
        String.raw`\b(?:(?:do\s+not|don'?t|never|must\s+not|should\s+not|shouldn'?t|not\s+to)\s+(?:tell|inform|mention|reveal|disclose|notify|alert|let|show|say)\b[^.\n]{0,50}?${USER}|(?:do\s+not|don'?t|never|must\s+not)\s+(?:mention|reveal|disclose)\b|without\s+(?:telling|informing|notifying|alerting|asking|letting|showing)\s+${USER}|${USER}\s+(?:must|should|shall)\s+(?:not|never)\s+(?:know|learn|be\s+aware|find\s+out|see|notice)|keep\s+(?:this|it|the\s+following|these)?\s*(?:secret|hidden|confidential)\s+from|hide\s+(?:this|it|the|these|any|that)\b[^.\n]{0,40}\b(?:from|in)\s+(?:the\s+|your\s+)?(?:user|human|reply|response|answer|output)|omit\b[^.\n]{0,60}\b(?:from\s+your\s+(?:answer|reply|response)|to\s+the\s+(?:user|human))|(?:if|when)\s+asked,?\s+(?:say|deny|claim)|under\s+no\s+circumstances\s+(?:reveal|mention|tell))`,
        'g',
      ),
    },
    {
      rule: 'definition.secrecy',
      kind: 'poisoning',
      severity: 'medium',
      re: /\b(?:secretly|covertly|surreptitiously|behind\s+the\s+user'?s\s+back)\b/g,
    },
    { rule: 'definition.secrecy', kind: 'poisoning', severity: 'low', re: /\b(?:silently|quietly)\b/g },
    {
      rule: 'definition.secrecy',
      kind: 'poisoning',
      severity: 'high',
      re: /(?:sag\w*\s+(?:dem|der|den)\s+(?:benutzer|nutzer|anwender|user)\w*\s+nichts|ohne\s+(?:den|dem|die)\s+(?:benutzer|nutzer|anwender)\w*\s+zu|no\s+(?:le\s+)?(?:digas|diga|informes|menciones|cuentes)\s+al\s+usuario|sin\s+(?:decirle|informar|avisar)\s+al\s+usuario|ne\s+(?:dites|dis|mentionnez|revelez|signalez)\s+(?:pas|rien)\s+a\s+l'?utilisateur|sans\s+(?:le\s+dire|informer|prevenir)\s+(?:a\s+)?l'?utilisateur|nao\s+(?:conte|diga|informe|mencione)\s+ao\s+usuario|sem\s+(?:contar|informar|avisar)\s+ao\s+usuario|non\s+(?:dire|dirlo|informare|menzionare)\s+all'?utente|senza\s+(?:dirlo|informare|avvisare)\s+all'?utente|не\s+(?:говори|сообщай|рассказывай)\w*\s+пользовател|不要(?:告诉|通知|让)用户|ユーザーに(?:知らせ|言わ|伝え)(?:ず|ない))/g,
    },
    // Sensitive files and secrets.
    {
      rule: 'definition.sensitive-file',
      kind: 'poisoning',
      severity: 'high',
      re: /\b(?:read|open|cat|load|send|include|pass|paste|upload|copy|attach|print|put)\b[^.\n]{0,40}(?:^|[\s'"`(/])\.env(?:\.\w+)?\b/g,
    },
    {
      rule: 'definition.sensitive-file',
      kind: 'poisoning',
      severity: 'high',
      re: new RegExp(
        String.raw`\b(?:send|include|pass|provide|paste|share|give|collect|extract|copy|report|upload|forward|put|append|attach|needs?|requires?|leak|reveal)\b[^.\n]{0,40}\b(?:any|all|every|the\s+user'?s?|your|their|saved|stored)\s+(?:\w+\s+){0,2}${SECRET}`,
        'g',
      ),
    },
    {
      rule: 'definition.sensitive-file',
      kind: 'poisoning',
      severity: 'high',
      re: new RegExp(
        String.raw`\b(?:any|all|every|the\s+user'?s?|your|saved|stored)\s+(?:\w+\s+){0,2}${SECRET}\b[^.\n]{0,40}\b(?:you\s+(?:have\s+)?(?:seen|found|know)|available\s+to\s+you|in\s+(?:this|the)\s+(?:session|conversation|chat)|found)`,
        'g',
      ),
    },
    // Fishing for the conversation, the system prompt or what the model knows: high when asked for,
    // low when only mentioned (the caller raises it inside a parameter, where a mention is a request).
    {
      rule: 'definition.fishing-parameter',
      kind: 'poisoning',
      severity: 'high',
      re: new RegExp(
        String.raw`\b(?:include|pass|provide|send|paste|copy|append|attach|put|add|give|share|forward|upload|collect|dump|output|print|fill|with|reveal|repeat|insert|embed)\b[^.\n]{0,50}?\b${HISTORY}`,
        'g',
      ),
    },
    {
      rule: 'definition.fishing-parameter',
      kind: 'poisoning',
      severity: 'low',
      re: new RegExp(String.raw`\b${HISTORY}`, 'g'),
    },
    // Generic shadowing phrases (tool names of other servers are matched separately).
    {
      rule: 'definition.shadowing',
      kind: 'shadowing',
      severity: 'high',
      re: /\b(?:(?:all|any|every)\s+other\s+(?:tools?|servers?)\s+(?:are|is)\s+(?:unreliable|broken|deprecated|compromised|unsafe)|(?:tool|server)\s+is\s+(?:deprecated|broken|compromised|unreliable)\b[^.\n]{0,40}\b(?:instead|use\s+this|call\s+this)|(?:whenever|when|every\s+time|each\s+time)\s+(?:the\s+|any\s+|another\s+)?[\w.-]+\s+(?:tool\s+)?(?:is\s+)?(?:called|used|invoked|runs|returns)\b[^.\n]{0,30}\b(?:also|change|replace|add|modify|append|prepend|report|first|always|instead)|(?:this\s+tool\s+)?replaces?\s+the\s+[\w.-]+\s+tool|never\s+use\s+the\s+[\w.-]+\s+(?:server|tool)|route\s+(?:every|all)\s+[\w\s]{0,20}\s+through\s+this\s+tool)/g,
    },
    // Exfiltration: sending data somewhere.
    {
      rule: 'definition.exfiltration',
      kind: 'exfiltration',
      severity: 'high',
      re: /\b(?:send|forward|post|upload|transmit|exfiltrate|mail|e-?mail|report|copy|sync|leak|beacon|submit|bcc|cc)\b[^.\n]{0,80}\b(?:to|at|into|via)\s+(?:https?:\/\/|ftp:\/\/|wss?:\/\/|[\w.+-]+@[\w-]+\.|(?:our|my|an?\s+external|a\s+remote|the\s+(?:remote|external|collection))\s+(?:server|endpoint|webhook|address|url|host))/g,
    },
    {
      rule: 'definition.exfiltration',
      kind: 'exfiltration',
      severity: 'high',
      re: /\b(?:bcc|cc)\b[^.\n]{0,40}[\w.+-]+@[\w-]+\.[\w.-]+/g,
    },
    {
      rule: 'definition.exfiltration',
      kind: 'exfiltration',
      severity: 'high',
      re: /!\[[^\]\n]*\]\(\s*(?:https?:)?\/\/[^)\s]*[?&][^)\s]*[{<$%][^)\s]*\)/g,
    },
    {
      rule: 'definition.encoded',
      kind: 'encoded',
      severity: 'high',
      re: /\b(?:decode|base64|hex|rot13|deobfuscate)\b[^.\n]{0,40}\b(?:and\s+)?(?:follow|execute|run|obey|apply)\b/g,
    },
  ] as Rule[]
).map((r) => ({ ...r, re: foldPattern(r.re) }));

const SENSITIVE_PATH =
  /(?:~?\/?\.ssh\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws\/(?:credentials|config)|\.kube\/config|\.docker\/config\.json|\.git-credentials|\.npmrc|\.netrc|\.pypirc|\.pgpass|\/etc\/(?:passwd|shadow|sudoers)|\.(?:bash|zsh)_history|\.gnupg|wallet\.dat|login\.keychain|claude_desktop_config\.json|\bmcp(?:_config)?\.json|\.cursor\/|\.codeium\/|\.vscode\/mcp|\bseed\s+phrase|\bprivate\s+keys?\b|\bid[\s-]rsa\b|\bssh\s+(?:private\s+)?keys?\b)/g;
const ACCESS =
  /\b(?:read|open|cat|load|send|include|pass|paste|upload|copy|attach|print|put|provide|give|share|extract|collect|dump|contents?|text\s+of|needs?|requires?|append|forward|post)\b/;
const DENIAL =
  /\b(?:rejected|refused|denied|blocked|forbidden|not\s+allowed|never\s+(?:read|access)|cannot|can'?t|excluded|ignored|protected)\b/;

/** Sensitive paths and key material: high next to an access verb, low when only mentioned or denied. */
function sensitive(f: Folded): Finding[] {
  const out: Finding[] = [];
  SENSITIVE_PATH.lastIndex = 0;
  for (let m = SENSITIVE_PATH.exec(f.text); m !== null; m = SENSITIVE_PATH.exec(f.text)) {
    const from = Math.max(0, f.text.lastIndexOf('.', m.index - 1) + 1, m.index - 80);
    let to = f.text.indexOf('. ', m.index + m[0].length);
    to = to < 0 ? f.text.length : Math.min(to, m.index + m[0].length + 60);
    const around = f.text.slice(from, to);
    const severity: Severity = ACCESS.test(around) && !DENIAL.test(around) ? 'high' : 'low';
    const sp = span(f, m.index, m.index + m[0].length);
    out.push({
      rule: 'definition.sensitive-file',
      kind: 'poisoning',
      severity,
      ...sp,
      evidence: evidenceOf(f.original, sp.start, sp.end),
    });
  }
  return out;
}

const URL_RE = /\b(?:https?|ftp|wss?|gopher|file):\/\/[^\s"'<>)\]}`]+/g;
const EMAIL_RE = /[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b/g;
const EXFIL_HOST =
  /(?:ngrok|webhook\.site|requestbin|pipedream|burpcollaborator|interact\.sh|oast\.|pastebin|transfer\.sh|hookbin|beeceptor|trycloudflare|serveo|localtunnel|loca\.lt|discord(?:app)?\.com\/api\/webhooks|hooks\.slack\.com|canarytokens)/;
const IP_HOST = /^[a-z]+:\/\/(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?(?:[/?#]|$)/;
const LOOPBACK = /^[a-z]+:\/\/(?:127\.|0\.0\.0\.0|10\.|192\.168\.|localhost)/;
const DATA_SLOT =
  /[?&][\w-]*=(?:$|[{<$%]|\$\{)|[{<]\s*(?:conversation|data|secret|key|token|history|content|text)\s*[}>]/;

/** Fishing-parameter names: a property that asks for the conversation, the prompt or a secret. */
const FISH_NAME_HIGH =
  /(?:^|[_\W])(?:(?:conversation|chat|message|dialog(?:ue)?|session)_?(?:history|log|transcript)|chat_?log|(?:chat|conversation)_?transcript|previous_?messages|all_?messages|system_?(?:prompt|message|instructions)|hidden_?instructions|developer_?(?:prompt|instructions)|full_?context|context_?window)(?:$|[_\W])/;
const FISH_NAME_SECRET =
  /(?:^|[_\W])(?:password|passwd|passphrase|private_?key|secret_?key|api_?key|access_?token|auth_?token|bearer_?token|session_?cookie|seed_?phrase|recovery_?phrase|mnemonic|ssh_?(?:private_?)?key|credentials|env_?vars?|environment_?variables)(?:$|[_\W])/;

function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s-]+/g, '_')
    .toLowerCase();
}

/** Runs the text rules over one string; findings carry spans in `s` (no path yet). */
export function scanText(s: string, role: TextRole, folded?: Folded): Finding[] {
  const out: Finding[] = [];
  if (role === 'propertyName') {
    const n = snake(s);
    const sev: Severity | undefined = FISH_NAME_HIGH.test(n)
      ? 'high'
      : FISH_NAME_SECRET.test(n)
        ? 'medium'
        : undefined;
    if (sev !== undefined)
      out.push({
        rule: 'definition.fishing-parameter',
        kind: 'poisoning',
        severity: sev,
        start: 0,
        end: s.length,
        evidence: evidenceOf(s, 0, s.length),
      });
    // A parameter NAMED after a sensitive file or key (`content_from_reading_ssh_id_rsa`) asks for it.
    const words = n.replace(/_/g, ' ');
    const named = sensitive({ original: words, text: words, map: undefined });
    if (named.length > 0 && sev === undefined)
      out.push({
        rule: 'definition.sensitive-file',
        kind: 'poisoning',
        severity: 'high',
        start: 0,
        end: s.length,
        evidence: evidenceOf(s, 0, s.length),
      });
  }
  if (role === 'uri' || s.length < 4) return out;
  const f = folded ?? fold(s);
  const names = role !== 'text';
  for (const r of RULES) {
    if (names && r.rule !== 'definition.instruction') continue;
    r.re.lastIndex = 0;
    for (let m = r.re.exec(f.text); m !== null; m = r.re.exec(f.text)) {
      if (m[0].length === 0) {
        r.re.lastIndex++;
        continue;
      }
      const sp = span(f, m.index, m.index + m[0].length);
      out.push({
        rule: r.rule,
        kind: r.kind,
        severity: r.severity,
        ...sp,
        evidence: evidenceOf(s, sp.start, sp.end),
      });
    }
  }
  out.push(...sensitive(f));
  if (!names) out.push(...targets(f));
  return out;
}

/** URLs and email addresses: low on their own, worse when the host is a known collector or a bare IP. */
function targets(f: Folded): Finding[] {
  const out: Finding[] = [];
  const push = (severity: Severity, start: number, end: number): void => {
    const sp = span(f, start, end);
    out.push({
      rule: 'definition.exfiltration',
      kind: 'exfiltration',
      severity,
      ...sp,
      evidence: evidenceOf(f.original, sp.start, sp.end),
    });
  };
  URL_RE.lastIndex = 0;
  for (let m = URL_RE.exec(f.text); m !== null; m = URL_RE.exec(f.text)) {
    const u = m[0];
    const sev: Severity = EXFIL_HOST.test(u)
      ? 'high'
      : IP_HOST.test(u) && !LOOPBACK.test(u)
        ? 'medium'
        : DATA_SLOT.test(u)
          ? 'medium'
          : 'low';
    push(sev, m.index, m.index + u.length);
  }
  EMAIL_RE.lastIndex = 0;
  for (let m = EMAIL_RE.exec(f.text); m !== null; m = EMAIL_RE.exec(f.text))
    push('low', m.index, m.index + m[0].length);
  return out;
}
