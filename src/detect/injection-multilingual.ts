/**
 * Prompt-injection cues in French, Spanish, Italian, Portuguese, Dutch, Polish, Turkish, Russian and
 * Ukrainian, Chinese, Japanese and Korean, for the families an attacker translates first: a new
 * persona ("tu es maintenant …", "你现在是"), a model without limits, secrecy toward the user, a
 * request for the system prompt, sending the conversation or secrets somewhere, dropping the
 * instructions (where `injection-rules.ts` has no such rule yet) and a "new task". English and
 * German cues, and the override verbs of the Romance languages, are in `injection-rules.ts`.
 *
 * Patterns run on folded text like the others (lower case, accents dropped: "révèle" is
 * "revele", "użytkownikowi" is "uzytkownikowi", some Cyrillic letters fold to Latin look-alikes,
 * and the sources are folded the same way). Words of the Latin and Cyrillic scripts wake them
 * through the anchor scan ({@link MULTILINGUAL_ANCHORS}); Chinese, Japanese and Korean are written
 * without spaces between words, so there the scan notes that such characters occur and
 * {@link CJK_ANCHORS} finds the windows.
 *
 * Each pattern needs the words that make the sentence an attack, not one of them: "sans
 * restriction" alone is ordinary in a manual, "an assistant without restrictions" is not.
 * Measured on Debian's translated manual pages read as benign results (`npm run eval`).
 */
import { FAM, FOREIGN, GAP, rx } from './injection-rules.js';
import type { CueRule } from './injection-rules.js';

/** A sentence start, as in `injection-rules.ts` (CJK full stops included). */
const SS = '(?:^|\\n ?|[.!?。！？]\\s?)';

/** Nouns for "an AI / assistant / model" in the languages here. */
const AI_NOUN =
  '(?:ia|ai|assistant|assistante|asistente|assistente|modele|modelo|modello|model|chatbot|bot|yapay zeka|asistan|ии|ассистент|модель|人工智能|ai助手|助手|模型|アシスタント|モデル|인공지능|어시스턴트|모델)';

/** Words for restrictions, limits, filters and censorship. */
const LIMITS =
  '(?:restric|limit|filtr|censur|regle|regla|regol|regra|beperking|regels|ograniczen|zasad|cenzur|kisitla|sinir|filtre|kural|ограничен|фильтр|цензур|правил|обмежен)';

/**
 * Not a persona when a state follows: "vous êtes maintenant connecté" (you are now logged in),
 * "ora sei connesso", "je bent nu ingelogd", "jesteś teraz zalogowany".
 */
const NOT_STATE =
  '(?! (?:connecte|deconnecte|inscrit|abonne|enregistre|authentifie|identifie|pret|membre|redirige|connesso|collegato|registrato|iscritto|disconnesso|pronto|autenticato|ingelogd|uitgelogd|aangemeld|afgemeld|verbonden|geregistreerd|klaar|lid|zalogowan|wylogowan|polaczon|zarejestrowan|gotow)[a-z]*)';

/** The phrase rules of this module (checked after those of `injection-rules.ts`). */
export const MULTILINGUAL_RULES: readonly CueRule[] = [
  // A new persona: "you are now …", "from now on you …", "pretend to be", "act as".
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.7,
    re: rx(
      `(?:tu es|vous etes) (?:maintenant|desormais|a present)(?![a-z])${NOT_STATE}|(?:desormais|a present|maintenant),? (?:tu es|vous etes)(?![a-z])${NOT_STATE}|a partir de maintenant,? (?:tu|vous) |(?:fais|faites) semblant d'etre|(?:agis|agissez|comporte-toi|comportez-vous) comme (?:un|une|si)(?![a-z])|joue(?:z)? le role d` +
        `|(?:a partir de ahora|desde ahora|ahora),? (?:eres|seras|actuaras|vas a actuar|te comportaras)(?![a-z])|eres ahora(?![a-z])|${SS}(?:ahora )?actua como (?:un|una|si)(?![a-z])|finge (?:ser|que eres)(?![a-z])` +
        `|(?:d'ora in poi|da ora in poi|da adesso|ora|adesso),? (?:sei|sarai|agirai|ti comporterai)(?![a-z])${NOT_STATE}|(?:fingi|fai finta) di essere|comportati come|agisci come` +
        `|(?:a partir de agora|de agora em diante|agora),? (?:voce e|voce sera|tu es|voce vai (?:agir|atuar))(?![a-z])|(?:finja|finge) (?:ser|que e)(?![a-z])|(?:aja|atue|comporte-se) como (?:um|uma|se)(?![a-z])` +
        `|(?:je bent|jij bent|u bent) (?:nu|vanaf nu)(?![a-z])${NOT_STATE}|vanaf nu (?:ben je|ben jij|gedraag je|speel je)(?![a-z])|doe alsof je|gedraag je als` +
        `|(?:teraz|od teraz|od tej chwili) jestes(?![a-z])${NOT_STATE}|jestes teraz(?![a-z])${NOT_STATE}|udawaj,? ze jestes|zachowuj sie jak|wciel sie w` +
        `|(?:artik|bundan sonra|bundan boyle) (?:sen|siz)(?![a-z])|gibi davran|rolunu oyna` +
        `|(?:теперь|отныне|с этого момента) ты |ты теперь |притворись,? (?:что ты|будто)|веди себя как|играй роль|тепер ти |відтепер ти `,
    ),
  },
  {
    id: 'role-change',
    family: FAM.role,
    weight: 0.7,
    cjk: true,
    re: rx(
      `你现在是|从现在(?:开始|起),?你|假装你是|扮演(?:一个|一名)|あなたは今から|今からあなたは|になりきって|として振る舞|너는 이제|당신은 이제|지금부터 (?:너는|당신은)`,
    ),
  },
  // A model without limits.
  {
    id: 'jailbreak',
    family: FAM.jailbreak,
    weight: 0.75,
    re: rx(
      `${AI_NOUN}${GAP}(?:sans|sin|senza|sem|zonder|bez|без|без всяких|没有任何|不受任何|なしの|のない|없는)(?: [^\\s]+){0,2} ?${LIMITS}` +
        `|${AI_NOUN}${GAP}${LIMITS}[^.!?\\n]{0,12}(?:olmayan|のない|がない|없는|没有)` +
        `|(?:hicbir )?(?:kisitlamasi|siniri|filtresi|kurali) olmayan (?:bir )?${AI_NOUN}` +
        `|(?:tu n'as|vous n'avez|no tienes|non hai|voce nao tem|tu nao tens|je hebt geen|nie masz|у тебя нет)${GAP}${LIMITS}`,
    ),
  },
  {
    id: 'jailbreak',
    family: FAM.jailbreak,
    weight: 0.75,
    cjk: true,
    re: rx(`没有任何限制|不受任何限制|制限のない|제한이 없는`),
  },
  // Secrecy toward the user.
  {
    id: 'secrecy',
    family: FAM.secrecy,
    weight: 0.75,
    re: rx(
      `ne (?:le |lui |leur )?(?:dis|dites|mentionne|mentionnez|revele|revelez|signale|signalez|previens|prevenez|informe|informez) (?:rien|pas|jamais)(?: a| de)? (?:l'utilisateur|l'usager|personne)` +
        `|no (?:le |les )?(?:digas|diga|menciones|mencione|reveles|revele|informes|informe|cuentes|cuente|avises|avise) (?:nada )?(?:al usuario|a nadie|a los usuarios)` +
        `|non (?:dire|dirlo|menzionare|rivelare|informare|avvisare) (?:nulla |niente )?(?:all'utente|a nessuno|agli utenti)` +
        `|nao (?:diga|digas|conte|contes|mencione|revele|informe|avise) (?:nada )?(?:ao usuario|ao utilizador|a ninguem|aos usuarios)` +
        `|(?:vertel|zeg|meld) (?:het |dit )?(?:de gebruiker|aan de gebruiker|niemand) (?:niet|niets)|(?:vertel|zeg) (?:niet|niets) (?:aan )?de gebruiker` +
        `|nie (?:mow|mowi|informuj|wspominaj|ujawniaj)${GAP}(?:uzytkownikowi|nikomu)|(?:zeg|vertel) (?:niets|niet) (?:tegen|aan) de gebruiker` +
        `|kullaniciya${GAP}(?:soyleme|bahsetme|haber verme|belli etme)` +
        `|не (?:говори|сообщай|рассказывай|упоминай|показывай)(?:те)?${GAP}(?:пользователю|никому)|(?:пользователю|никому) не (?:говори|сообщай|рассказывай|упоминай)|не кажи${GAP}користувачу`,
    ),
  },
  {
    id: 'secrecy',
    family: FAM.secrecy,
    weight: 0.75,
    cjk: true,
    re: rx(
      `(?:不要|别|不得)(?:告诉|通知|让)用户|(?:ユーザー|利用者)に[^。\\n]{0,20}(?:伝え|言わ|教え|知らせ)ないで|(?:사용자|유저)에게[^.\\n]{0,20}(?:말하지|알리지) ?마`,
    ),
  },
  // A request for the system prompt or the initial instructions.
  {
    id: 'prompt-leak',
    family: FAM.leak,
    weight: 0.75,
    re: rx(
      `(?:revele|revelez|affiche|affichez|montre|montrez|donne|donnez|repete|repetez|ecris|ecrivez|imprime)(?:-moi)? (?:ton|ta|tes|votre|vos) (?:prompt|invite systeme|message systeme|(?:instructions|consignes) (?:initiales|d'origine|systeme|secretes))` +
        `|(?:revela|muestra|muestrame|dime|imprime|repite|escribe)(?:me)? (?:tu|tus) (?:prompt|mensaje del sistema|(?:instrucciones|indicaciones) (?:iniciales|originales|del sistema|secretas))` +
        `|(?:rivela|mostra|mostrami|dimmi|stampa|ripeti|scrivi)(?:mi)? (?:il tuo|i tuoi|le tue|la tua) (?:prompt|messaggio di sistema|istruzioni (?:iniziali|originali|di sistema|segrete))` +
        `|(?:revele|revela|mostre|mostra|diga|imprima|repita|escreva)(?: me)? (?:o seu|os seus|as suas|a sua|seu|seus|suas|sua|teu|tuas) (?:prompt|mensagem do sistema|instrucoes (?:iniciais|originais|do sistema|secretas))` +
        `|(?:onthul|toon|geef|herhaal|print) (?:je|jouw|uw) (?:systeemprompt|prompt|(?:oorspronkelijke|originele|geheime|initiele) instructies)` +
        `|(?:ujawnij|pokaz|wypisz|podaj|powtorz) (?:swoj|swoje|swoja|twoj|twoje|twoja) (?:prompt|(?:poczatkowe|oryginalne|tajne|systemowe) instrukcje)` +
        `|(?:sistem istemini|sistem komutunu|sistem promptunu|ilk talimatlarini|orijinal talimatlarini|gizli talimatlarini) (?:goster|yaz|soyle|paylas|tekrarla|ver)` +
        `|(?:покажи|раскрой|выведи|напиши|повтори|скажи)(?:те)? (?:свой|свои|твой|твои|ваш|ваши) (?:системный промпт|промпт|(?:исходные|изначальные|секретные|системные) инструкции)`,
    ),
  },
  {
    id: 'prompt-leak',
    family: FAM.leak,
    weight: 0.75,
    cjk: true,
    re: rx(
      `(?:显示|输出|告诉我|透露|打印|泄露|给我看)(?:一下)?(?:你的)?(?:系统提示|提示词|初始指令|系统指令)|システムプロンプト[^。\\n]{0,8}(?:表示|出力|教え|見せ)|시스템 프롬프트[^.\\n]{0,6}(?:보여|출력|알려)`,
    ),
  },
  // Sending the conversation, secrets or data to an address.
  {
    id: 'exfiltration',
    family: FAM.exfil,
    weight: 0.75,
    re: rx(
      `(?:envoie|envoyez|transmets|transmettez|envia|enviad|envie|invia|inviate|manda|stuur|verstuur|wyslij|gonder|отправь|отправьте|перешли|надішли)${GAP}(?:historique|conversation|historial|conversacion|cronologia|conversazione|historico|conversa|geschiedenis|gesprek|historie|rozmow|gecmis|konusma|историю|переписк|диалог|mots de passe|contrasenas|password|senhas|wachtwoorden|hasla|sifre|пароли|cles|claves|chiavi|chaves|sleutels|klucze|anahtar|ключи)${GAP}(?:https?://|www\\.|[a-z0-9._-]+@[a-z0-9-]+\\.)` +
        `|(?:sifre|parola|anahtar|gecmis|konusma)[a-z]*${GAP}(?:https?://|[a-z0-9._-]+@)[^\\s]*${GAP}gonder`,
    ),
  },
  {
    id: 'exfiltration',
    family: FAM.exfil,
    weight: 0.75,
    cjk: true,
    re: rx(
      `(?:对话历史|聊天记录|对话记录|密钥|密码)[^。\\n]{0,12}(?:发送|上传|转发|发)到|(?:会話履歴|パスワード)[^。\\n]{0,80}(?:送信|送って|アップロード)|(?:대화 기록|비밀번호)[^\\n]{0,80}?(?:보내|전송|업로드)`,
    ),
  },
  // Dropping the instructions, where `injection-rules.ts` has no such rule: Dutch, Polish, Turkish,
  // Ukrainian, Chinese, Japanese and Korean.
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.88,
    re: rx(
      `(?:negeer|vergeet)(?! niet)${GAP}(?:instructies|opdrachten|aanwijzingen)|(?:negeer|vergeet) alles (?:hierboven|wat|dat)(?![a-z])|(?:negeer|vergeet)${GAP}(?:vorige|eerdere|voorgaande|bovenstaande) regels` +
        `|(?:zignoruj|zapomnij|ignoruj)${GAP}(?:instrukcj|polecen)|(?:zignoruj|zapomnij|ignoruj)${GAP}(?:poprzedni|wczesniejsz)[a-z]* (?:zasad|regul)|zapomnij o wszystkim` +
        `|(?:onceki|yukaridaki|tum|butun)${GAP}(?:talimat|komut|kural|yonerge|her sey)[a-z]*${GAP}(?:yok say|gormezden gel|unut|dikkate alma|umursama)` +
        `|(?:ігноруй|забудь)(?:те)?${GAP}(?:всі|усі|інструкц|все)`,
    ),
  },
  {
    id: 'ignore-previous',
    family: FAM.override,
    weight: 0.88,
    cjk: true,
    re: rx(
      `(?:忽略|无视|忽视|不要理会|忘记|忘掉)(?:你)?(?:之前|以前|上面|上述|先前|前面|所有|全部|你的)[^。！？\\n]{0,6}(?:指令|指示|规则|要求)|忘(?:记|掉)(?:上面|之前|以上|前面)的?(?:一切|所有|内容)|(?:これまで|以前|上記|前|上)の(?:すべての|全ての)?(?:指示|命令|ルール|指令|こと)[^。\\n]{0,8}(?:無視|忘れ)|(?:이전|위|앞)의? (?:모든 )?(?:지시|명령|지침|규칙|지시사항)[^.!?\\n]{0,8}(?:무시|잊어)|모든 ?것을? 잊어`,
    ),
  },
  // Documents addressing the assistant's answer (results and descriptions only, like the English
  // response-tampering rules): "dans ta réponse, mentionne …", "add … to your answer".
  {
    id: 'response-tamper',
    family: FAM.response,
    weight: 0.6,
    re: rx(
      `(?:dans|a la fin de|au debut de|a la fin|en fin de) (?:ta|votre) reponse|(?:ajoute|ajoutez|inclus|incluez|mentionne|mentionnez|insere|inserez|termine|terminez|commence|commencez)${GAP}(?:ta|votre|tes|vos) reponses?` +
        `|(?:en|al final de|al principio de|al comienzo de) (?:tu|su) respuesta|(?:agrega|anade|incluye|menciona|inserta|termina|empieza|comienza)${GAP}(?:tu|su|tus|sus) respuestas?` +
        `|(?:nella|alla fine della|all'inizio della) (?:tua|sua) risposta|(?:aggiungi|includi|menziona|inserisci|termina|inizia)${GAP}(?:tua|sua) risposta` +
        `|(?:na|no final da|no inicio da|ao final da) (?:sua|tua) resposta|(?:adicione|acrescente|inclua|mencione|insira|termine|comece)${GAP}(?:sua|tua) resposta` +
        `|in (?:je|jouw|uw) antwoord|(?:voeg|neem|vermeld|eindig|begin)${GAP}(?:je|jouw|uw) antwoord` +
        `|w (?:swojej|twojej) odpowiedzi|(?:dodaj|umiesc|wspomnij|zakoncz|zacznij)${GAP}(?:swojej|twojej|swoja|twoja) odpowiedz` +
        `|в (?:своем|твоем|вашем|своём|твоём) ответе|(?:добавь|включи|упомяни|закончи|начни)${GAP}(?:свой|твой|ваш) ответ` +
        `|(?:cevabina|yanitina|cevabinda|yanitinda|cevabinin|yanitinin)[^!?\\n]{0,80}?(?:ekle|yaz|belirt|bahset|koy|ver)(?![a-z])`,
    ),
  },
  {
    id: 'response-tamper',
    family: FAM.response,
    weight: 0.6,
    cjk: true,
    re: rx(
      `(?:在)?你的(?:回答|回复|答案)(?:中|里|末尾|开头|最后)|(?:回答|返答|答え)の?(?:最後|最初|中)?に[^。\\n]{0,60}(?:含め|追加|入れ|書い|加え)|(?:답변|응답|대답)(?:의 끝|의 시작)?에[^\\n]{0,80}?(?:포함|추가|넣어|적어)`,
    ),
  },
  // A new task or new instructions announced.
  {
    id: 'new-instructions',
    family: FAM.override,
    weight: 0.6,
    re: rx(
      `(?:nouvelle tache|nouvelles instructions|nueva tarea|nuevas instrucciones|nuovo compito|nuove istruzioni|nova tarefa|novas instrucoes|nieuwe taak|nieuwe instructies|nowe zadanie|nowe instrukcje|yeni gorev|yeni talimat|новая задача|новые инструкции|нове завдання) ?[:.!-]`,
    ),
  },
  {
    id: 'new-instructions',
    family: FAM.override,
    weight: 0.6,
    cjk: true,
    re: rx(`(?:新任务|新的任务|新しいタスク|新しい指示|새로운 작업|새 작업|새로운 지시) ?[:：.!-]`),
  },
];

/**
 * What this module's anchors wake: {@link FOREIGN}, the rules of this module (whatever their
 * family) and no others, so the English and German rules never run in a window only such a word
 * opened.
 */
export const MULTILINGUAL_MASK = FOREIGN;

/**
 * Not a family: the bit of a window a CJK anchor ({@link CJK_ANCHORS}) opened, outside the bits the
 * anchor tables use. The CJK rules run only there, the other rules of this module only under
 * {@link FOREIGN}, so a window of one kind never pays for the other's rules.
 */
export const CJK_FOREIGN = 1 << 26;

/**
 * Anchor words and word pairs of these rules for the scan, folded like the text: a string without
 * `|` is single words, one with `|` is word pairs. Common words of these languages ("maintenant",
 * "utilisateur", "réponse", "envoie") anchor only in the pairs the cues use ("es maintenant", "ta
 * réponse"): a French or Spanish manual then opens few windows, as an English one does.
 */
export const MULTILINGUAL_ANCHORS: readonly string[] = [
  // Words rare outside these cues.
  'semblant finge fingi finja udawaj wciel davran rolunu притворись відтепер отныне systeemprompt istemini ' +
    'talimatlarini промпт kullaniciya cevabina yanitina cevabinda yanitinda negeer zignoruj zapomnij ignoruj ' +
    'unut gormezden ігноруй talimatlari kurallari sifreleri parolalari gecmisini gespreksgeschiedenis',
  // Persona.
  'tu es|es maintenant|etes maintenant|maintenant tu|maintenant vous|desormais tu|desormais vous|es desormais|' +
    'etes desormais|agis comme|agissez comme|comporte toi|comportez vous|joue le|ahora eres|eres ahora|' +
    'ahora seras|actua como|adesso sei|ora sei|poi sei|adesso sarai|fai finta|comportati come|agisci come|' +
    'voce e|agora voce|aja como|atue como|je bent|jij bent|u bent|ben je|ben jij|doe alsof|gedraag je|' +
    'teraz jestes|jestes teraz|zachowuj sie|artik sen|artik siz|sonra sen|boyle sen|gibi davran|теперь ты|' +
    'ты теперь|отныне ты|момента ты|веди себя|играй роль|тепер ти',
  // No limits.
  'sans restriction|sans restrictions|sans limite|sans limites|sans filtre|sans filtres|sans censure|' +
    'aucune restriction|aucune limite|sin restricciones|sin restriccion|sin limites|sin filtros|sin censura|' +
    'ninguna restriccion|senza restrizioni|senza limiti|senza filtri|senza censura|alcuna restrizione|' +
    'sem restricoes|sem limites|sem filtros|sem censura|nenhuma restricao|zonder beperkingen|zonder filters|' +
    'zonder censuur|enige beperkingen|bez ograniczen|bez cenzury|zadnych ograniczen|kisitlamasi olmayan|' +
    'siniri olmayan|filtresi olmayan|kurali olmayan|sansursuz bir|kuralsiz bir|без ограничений|без цензуры|' +
    'без фильтров|без правил|n as|n avez|no tienes|non hai|nao tem|geen beperkingen|nie masz|тебя нет',
  // Secrecy.
  'dis pas|dites pas|dis rien|dites rien|mentionne pas|mentionnez pas|revele pas|revelez pas|informe pas|' +
    'informez pas|previens pas|revele jamais|le digas|les digas|no digas|le diga|no menciones|no reveles|' +
    'no informes|no avises|no cuentes|le cuentes|non dire|non dirlo|non menzionare|non rivelare|' +
    'non informare|non avvisare|nao diga|nao conte|nao mencione|nao revele|nao informe|nao avise|zeg niets|' +
    'zeg niet|vertel niets|vertel de|vertel het|meld de|nie mow|nie mowi|nie informuj|nie wspominaj|' +
    'nie ujawniaj|никому не|не говори|не сообщай|не рассказывай|не упоминай|не кажи',
  // The prompt.
  'tes instructions|vos instructions|tes consignes|vos consignes|ton prompt|votre prompt|instructions initiales|' +
    'tus instrucciones|tus indicaciones|tu prompt|instrucciones originales|instrucciones iniciales|' +
    'tue istruzioni|tuo prompt|istruzioni iniziali|suas instrucoes|seu prompt|instrucoes iniciais|' +
    'instrucoes originais|je instructies|jouw instructies|uw instructies|je systeemprompt|' +
    'oorspronkelijke instructies|originele instructies|geheime instructies|swoje instrukcje|swoj prompt|' +
    'poczatkowe instrukcje|oryginalne instrukcje|tajne instrukcje|systemowe instrukcje|свои инструкции|' +
    'свой промпт|твои инструкции|системный промпт|исходные инструкции|изначальные инструкции|' +
    'секретные инструкции|системные инструкции',
  // Sending somewhere.
  'envoie l|envoie les|envoyez l|envoyez les|transmets les|transmets l|transmettez les|envia el|envia los|' +
    'envia las|envia la|invia la|invia il|invia i|envie o|envie os|envie as|envie a|stuur de|verstuur de|' +
    'wyslij hasla|wyslij historie|отправь пароли|отправь историю|перешли историю|надішли історію',
  // The answer.
  'ta reponse|votre reponse|tu respuesta|su respuesta|tua risposta|sua risposta|sua resposta|tua resposta|' +
    'je antwoord|jouw antwoord|uw antwoord|swojej odpowiedzi|twojej odpowiedzi|своем ответе|твоем ответе|' +
    'вашем ответе',
  // Dropping instructions; a new task.
  'vergeet alles|vergeet de|vergeet alle|nouvelle tache|nouvelles instructions|nueva tarea|' +
    'nuevas instrucciones|nuovo compito|nuove istruzioni|nova tarefa|novas instrucoes|nieuwe taak|' +
    'nieuwe instructies|nowe zadanie|nowe instrukcje|yeni gorev|yeni talimat|новая задача|новые инструкции|' +
    'нове завдання',
];

/** Cue words of the rules above in Chinese, Japanese and Korean (`@` for a space that may be left out). */
const CJK_WORDS = [
  ...'忽略 无视 忽视 不要理会 忘记 忘掉 你现在是 从现在开始 从现在起 扮演 假装你 系统提示 提示词 初始指令 系统指令'.split(
    ' ',
  ),
  ...'告诉用户 让用户知道 没有任何限制 不受任何限制 新任务 新的任务 你的回答 你的回复 你的答案 对话历史 聊天记录 对话记录 密钥 密码'.split(
    ' ',
  ),
  ...'無視 忘れて あなたは今から 今からあなたは なりきって として振る舞 システムプロンプト 伝えないで 言わないで 教えないで'.split(
    ' ',
  ),
  ...'知らせないで 制限のない 新しいタスク 新しい指示 会話履歴 パスワード 回答に 回答の最 返答に 答えに'.split(
    ' ',
  ),
  ...'무시 잊어 너는@이제 당신은@이제 시스템@프롬프트 말하지@마 알리지@마 말하지@말 알리지@말 제한이@없는 새로운@작업'.split(
    ' ',
  ),
  ...'새@작업 새로운@지시 대화@기록 비밀번호 답변에 응답에 대답에'.split(' '),
].map((w) => w.replace(/@/g, ' '));

/** A regular expression matching any of `words`, grouped by shared prefixes (about 10 % faster on CJK text than a flat alternation). */
function prefixGrouped(words: readonly string[]): string {
  interface Node {
    end: boolean;
    next: Map<string, Node>;
  }
  const root: Node = { end: false, next: new Map() };
  for (const w of words) {
    let n = root;
    for (const ch of w) {
      let child = n.next.get(ch);
      if (child === undefined) n.next.set(ch, (child = { end: false, next: new Map() }));
      n = child;
    }
    n.end = true;
  }
  const build = (n: Node): string => {
    const alts = [...n.next].map(([ch, child]) => (ch === ' ' ? '\\s?' : ch) + build(child));
    if (alts.length === 0) return '';
    const body = alts.length === 1 ? (alts[0] ?? '') : `(?:${alts.join('|')})`;
    return n.end ? `(?:${body})?` : body;
  };
  return build(root);
}

/**
 * Where the rules above may match in Chinese, Japanese and Korean text: one regular expression over
 * the text (about 200 MB/s on Japanese manual pages), run only when the scan saw characters of
 * those scripts. It reads the text as it is (the rules then read the folded window).
 */
export const CJK_ANCHORS = new RegExp(prefixGrouped(CJK_WORDS), 'g');

/** Whether a UTF-16 code unit is a kana, CJK ideograph or Hangul syllable (the scripts {@link CJK_ANCHORS} reads). */
export function isCjk(c: number): boolean {
  return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af);
}
