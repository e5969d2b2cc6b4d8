"""The handoff net's patterns, plain Python (no Rasa), so the tests can run them anywhere.

``trigger(text)`` says whether a message asks for a person (``"asked"``), shows
frustration (``"frustrated"``), or neither (``None``). The Rasa component
(bot/components/handoff.py) runs it on every message after the classifiers
and, on a hit, makes the intent ``request_human`` whatever the model said, so
a handoff never depends on the model alone.

What counts:

* asked: a verb of talking or connecting with a word for a person ("talk to
  someone", "connect me to an agent", "put me through to support", "agent se
  baat karao"); wanting or getting a human ("I need a real person", "get me a
  human", "humans only"); a call back or a call arranged ("have your manager
  ring me", "arrange a call"); the number to reach one ("customer care
  number do", "toll free number?", "grievance officer's email?"); "whom
  should I speak to", "whoever manages contracts", "can a colleague take
  over"; a formal letter asking an officer to contact "the undersigned"; a
  call asked for at the end of a report ("... pls call me 99001 22334", "I
  request a call from your end", "have them call", "need someone to call");
  named teams, offices and bosses ("put me through to the renewals team",
  "speak to head office", "the regional head"); "transfer me"; the
  same in Hinglish, Tamil, Bengali, Telugu, Kannada and Marathi in Roman
  script ("mujhe call karo", "oru aal kitta pesanum", "manusher sathe kotha
  bolte chai", "manishi tho matladali"), and Malayalam, Gujarati and Punjabi
  ("enne vilikkamo", "manas sathe vaat karvi", "bande naal gal karni"); a message that is only such a word
  ("agent", "operator", "customer care", "helpline").
* frustrated: "this is useless", "you are not helping", "waste of time",
  "stupid bot", "you don't understand", "bakwas", "this bot is a joke",
  "consumer court", "ye bot kuch samajhta nahi", "I'm done with this
  machine", ...; or a message in capitals
  (three or more words of letters, references, serials and short acronyms
  such as AC, TV, SR-000123 aside).

Not a handoff: questions about the bot itself ("are you a human?", "is this a
bot"; ``about_the_bot_only``: when the model read one as request_human, the
component answers it as bot_challenge), "send someone to fix it" and "register a complaint and send someone"
(service requests), "the technician was a nice person" (no verb asking for
one), "I want a person to come and install the AC", "koi aadmi bhejo" (a
technician sent), "make a call to dad", "arrange a call with Ravi at 4", "give me a call
reminder", "call me Raj" (the customer's own calls, asked of the assistant as of a phone);
another company's care line ("what's the Amazon customer care number", "HDFC
toll free number"); a past conversation told as a story, with nothing asked
now ("I talked to someone at your office last week and they fixed it").
"""

from __future__ import annotations

import re

_PERSON = (r"(?:a\s+|an\s+|the\s+|your\s+|some\s+|any\s+|one\s+of\s+your\s+)?(?:real\s+|live\s+|actual\s+|human\s+|"
           r"senior\s+|proper\s+)?(?:(?:service|account|corporate|customer|support)\s+){0,2}"
           r"(?:human(?:\s+being)?s?|person|people|agent|some\s*one|some\s*body|sum1|anyone|anybody|guy|"
           r"representative|rep|executive|operator|manager|supervisor|advisor|adviser|coordinator|staff(?:\s+member)?|"
           r"call\s+cent(?:re|er)|complaints?\s+(?:department|team|cell|desk)|service\s+cent(?:re|er)|cust\s+care|"
           r"(?:your|the|support|service)\s+team|"
           r"customer\s+(?:care|service|support)(?:\s+(?:team|staff|person|executive|agent|desk|representative|"
           r"centre|center))?|(?:care|service|support)\s+(?:team|staff|person|executive|agent|desk|representative)|"
           r"support|help\s*desk|helpdesk|team\s+member|employees?|insaan|banda|aadmi|colleague|seniors?|in-?charge|"
           r"boss|superior|higher\s+(?:authority|authorities|ups|official)|higher-ups|management|"
           r"(?:regional|zonal|area|branch|service|department)\s+(?:head|in-?charge)|"
           r"(?:head|branch|regional|corporate|zonal)\s+office|(?:office|company)\s+(?:people|peoples|staff|person)|"
           r"sales\s*(?:person|people|team|executive|manager)|"
           r"(?:amc|renewals?|collections?|finance|sales|refunds?|technical|tech|installation|customer\s+relations|"
           r"warranty|operations|ops|back\s*office|quality|dispatch|scheduling|head\s+office)\s+(?:renewals?\s+)?"
           r"(?:team|department|dept|desk|division|cell)|"
           r"whoever\s+(?:manages|handles|looks\s+after|is\s+in\s+charge)|helpline\s+people|"
           r"(?:accounts?|billing|escalations?|complaints?|customer\s+relations|grievance(?:\s+redressal)?|contracts?|nodal)\s+"
           r"(?:team|department|dept|cell|desk|officer|people))\b")
# a call with or to someone who is not us is the customer's own call ("make a call to dad",
# "arrange a call with Ravi at 4"), and a "call reminder" is a reminder
_NOT_A_CONTACT = (r"(?!\s+(?:reminder|alert|alarm|log|history|recording)s?\b)"
                  r"(?!\s+(?:to|with)\s+(?!(?:a|an|the|your|ur|some|any|one|someone|somebody|anyone|anybody|me|us|"
                  r"discuss|talk|speak|explain|sort|check|confirm|resolve|clarify|know|help|fix|update|tell|inform|"
                  r"understand|arrange|book|schedule|ask|get|follow|see|decide|settle|finalise|finalize)\b)\w)")
_ASKED = [
    # talk / speak / chat / connect / transfer ... to a person
    r"(?<!\bhad\sa\s)(?<!\bhad\san\s)(?<!\bmy\s)(?<!\bour\s)(?<!\bthe\s)(?<!\blast\s)(?<!\bprevious\s)\b(?:talk|tlk|speak|speek|spk|chat|connect|conect|connet|transfer|tranfer|escalate|"
    r"complain(?=\s+to\b)|deal(?=\s+(?:directly\s+)?with\s+(?:your|ur)\b)|(?:be\s+)?put\s+through|"
    r"put\s+me\s+through|(?:put|get)\s+me\s+in\s+touch|hand\s+(?:me\s+|this\s+|it\s+|the\s+chat\s+)?over|"
    r"pass\s+(?:me|this|it)|forward\s+(?:me|my\s+\w+|this|it)|switch\s+me|route\s+me|baat|conversation|a\s+word)\w*(?<!ed)\b(?:\s+\w+){0,4}?\s+(?:to|with|me\s+to|me\s+with|through\s+to)?\s*(?<!\bmy\s)(?<!\bour\s)" + _PERSON,
    # discussing it with one of your people ("with my manager" is the customer's own)
    r"\bdiscuss\w*\b(?:\s+\w+){0,4}?\s+with\s+(?:a|an|your|ur|some|one\s+of\s+your)\s+" + _PERSON,
    # want / need / get me / give me ... a human
    r"\b(?:want|need|ned|get(?:\s+me)?|give\s+me|bring|requesting|request|demand|prefer|rather\s+have|looking\s+for|"
    r"(?:i'?d|i\s+would|would)\s+like|seek(?:ing)?)\s+"
    r"(?:to\s+(?:talk|speak|chat)\s+(?:to|with)\s+)?(?:a\s+|an\s+|some\s+|the\s+|your\s+|one\s+|any\s+)?"
    r"(?:real\s+|live\s+|actual\s+)?(?:human|person|prsn|agent|representative|executive|operator|live\s+agent|"
    r"customer\s+care|manager|supervisor)\b"
    r"(?!\s+to\s+(?:come|visit|install|fix|repair|inspect|service)\b|\s+to\s+(?:check|look\s+at)\s+(?:my|the|our)\s+"
    r"(?:ac|a/c|fridge|refrigerator|washing|washer|tv|ro|purifier|geyser|microwave|appliance|machine|unit)\b)",
    r"\b(?:someone|somebody|a\s+person|a\s+human)\s+who\s+(?:can|could|will)\s+(?:actually\s+)?(?:help|act|take\s+action|"
    r"do\s+something|look\s+into)\b",
    # "get me someone real", "any humans around?", "can a colleague of yours take over"
    r"\b(?:some\s*one|some\s*body|sum1)\s+real\b|\bany\s*humans?\s+(?:there|around|here|available|online)\b|"
    r"^\W*humans?\W+any\s*(?:one|body)\W*$|"
    r"\b(?:colleague|some\s*one|some\s*body|a\s+person|a\s+human|human)\b(?:\s+\w+){0,3}\s+take\s+over\b|"
    r"\breach\s+out\s+to\s+me\b|\btelephonic\s+(?:discussion|conversation|call)\b|"
    r"\b(?:officer|official|representative|authority|coordinator|member\s+of\s+your\s+staff|in-?charge|senior|"
    r"manager|supervisor|executive)\b(?:\s+[\w-]+){0,5}\s+(?:contact|get\s+in\s+touch\s+with|"
    r"speak\s+(?:with|to)|talk\s+(?:with|to)|call|phone|telephone)\s+(?:me|the\s+undersigned)\b",
    r"\b(?:someone|somebody|a\s+person|a\s+human)\s+who\s+(?:actually\s+|really\s+)?(?:knows|understands)\b",
    # "whom should I speak to", "who can I talk to"
    r"\bwho(?:m)?\s+(?:should|can|could|do|shall)?\s*(?:i|we)?\s*(?:to\s+)?(?:speak|talk)\s+(?:to|with)\b",
    r"\b(?:a|any|some|real|actual|live)\s+human\s+beings?\b",
    # a number to reach a person: "customer care number do"
    # (not "my office number is ...": a customer giving their own number)
    r"(?<!\bmy\s)\b(?:customer\s+(?:care|service|support)|cust\s+care|cstmr\s+(?:care|cr)|helpline|hlpline|toll[\s-]*free|"
    r"call\s+cent(?:re|er))\s+(?:number|no\b|nmbr|num\b|phone|contact)|"
    r"\b(?:e-?mail|mail)(?:\s+(?:id|address))?\s+(?:for|of)\s+(?:complaints?|grievances?|escalations?)\b|"
    r"\b(?:grievance(?:\s+redressal)?|nodal|escalation)\s+(?:officer|team|cell|department)|"
    r"^\W*(?:toll[\s-]*free(?:\s+(?:number|no))?|helpline(?:\s+(?:number|no))?)\W*$",
    r"\bhelp\s+from\s+(?:a\s+|an\s+|your\s+|some\s+)?(?:person|human|agent|staff|someone|somebody|team)\b",
    r"\b(?:person|human|agent|some\s*one|some\s*body|any\s*one|any\s*body|operator|executive|manager|supervisor|officer)\s+"
    r"(?:i|we)\s+(?:can|could|may)\s+(?:talk|speak|chat)\b",
    r"\b(?:do\s*n[o']?t|dont|do\s+not)\s+want\s+(?:to\s+(?:talk|chat|speak)\s+(?:to|with)\s+)?(?:a\s+|the\s+|this\s+|your\s+)?"
    r"(?:bot|robot|machine|chatbot)\b",
    r"\b(?:staff|agent|person|someone|somebody|executive|team)(?:\s+member)?(?:\s+\w+){0,3}\s+(?:message|text|"
    r"contact|email|whatsapp)\s+me\b",
    r"\b(?:real|live|actual)\s+(?:human|person|people|agents?|guy|employees?|executive|staff|operator)\b",
    r"\bhumans?(?:\s+|\s*,\s*)(?:only|please|pls|plz|agent|support|help)\b",
    r"\b(?:human|agent|operator|representative|executive|customer\s+(?:care|service|support))\s+"
    r"(?:please|pls|plz|chahiye)\b",
    r"\bescalat(?:e|ion)\b(?!\s+(?:of|in)\s+(?:the\s+)?(?:price|prices|cost|costs|charges))",
    # a call back
    r"\bcal+\s*(?:me\s+)?(?:back|bk)\b|\bcallback\b|^\W*(?:please\s+|pls\s+|kindly\s+)?(?:call|phone|ring|telephone)\s+me\b(?!\s+(?:by\s+|as\s+|mr\.?\s+|mrs\.?\s+|ms\.?\s+)|"
    r"\s+(?-i:[A-Z][a-z]+)\W*$)|"
    r"\b(?:someone|somebody|sum1|sm1|sumbdy|nobody|anyone|anybody|executive|agent|person|team|manager|supervisor|staff|"
    r"members?|side|end|care|senior)\b(?:\s+\w+){0,4}\s+(?:call|cal|calls|contact|phone|ring|telephone)\s+(?:me|him|her|us)\b|"
    r"\barrange\s+(?:for\s+)?(?:a\s+|one\s+)?(?:phone\s+)?call\b" + _NOT_A_CONTACT + r"|"
    r"\b(?:give|make)\s+(?:me\s+)?(?:a|one)\s+(?:phone\s+)?call\b" + _NOT_A_CONTACT + r"|"
    r"\bput\s+me\s+on\s+(?:a|the)\s+(?:call|phone)\b" + _NOT_A_CONTACT + r"|"
    r"\b(?:someone|somebody|anyone|a\s+person|manager|supervisor|senior|in-?charge)\b(?:\s+\w+){0,4}\s+on\s+the\s+(?:phone|line)\b",
    # a call or a message from you, asked for: "pls call me 99001 22334", "I request a call from your end",
    # "can your team give me a ring", "need someone to call and help", "have them call", "write to me"
    r"\b(?:pls|please|plz|pl|kindly)\s+(?:\w+\s+)?(?:call|ring|phone|cal)\b(?:\s+me\b|\s*[.!]*\s*$|\s*[,;]|\s+(?:on|at|asap)\b|"
    r"\s+\+?\d)|\bcall\s+me\s+(?:on|at|asap|immediately|urgently|now|today|right\s+away|\+?\d)",
    r"\bfor\s+(?:a|an|one)\s+(?:\w+\s+)?(?:call|ring|phone\s+call)\s+from\s+(?:your|ur|yr|the|an?|some|someone|somebody|"
    r"any\s*one)\b",
    r"\b(?:request|want|need|like|expect|expecting|awaiting)\s+(?:a|an|one)\s+(?:quick\s+|phone\s+|urgent\s+)?"
    r"call\b" + _NOT_A_CONTACT,
    r"\b(?:rather|prefer\s+to|want\s+to|like\s+to|need\s+to|can\s+i|let\s+me)\s+explain\b(?:\s+[\w']+){0,6}?\s+to\s+"
    r"(?:one\s+of\s+your\s+|a\s+real\s+|an?\s+actual\s+)?" + _PERSON,
    r"\bgive\s+(?:me\s+)?(?:a\s+)?(?:ring|buzz)\b|\bgive\s+(?:call|ring)\s+(?:to\s+)?me\b",
    r"\b(?:some\s*one|some\s*body|any\s*one|sum1|a\s+person|an?\s+(?:agent|executive|officer)|staff)\s+to\s+"
    r"(?:(?:call|ring|phone|contact|reach)\b|(?:talk|speak)\s+(?:to|with)\s+(?:me\b|about\b|regarding\b))",
    r"\b(?:some\s*one|some\s*body|any\s*one|any\s*body|sum1|person|agent|executive|staff|team|manager|supervisor|"
    r"officer|head|them)\b(?:\s+\w+){0,4}\s+(?:talk|speak|chat|write|reach\s+out)\s+(?:to|with)\s+me\b|"
    r"\b(?:person|team|manager|staff|executive|agent|officer|department|head)\b(?:\s+\w+){0,2}\s+reach\s+out\b",
    r"\bhave\s+(?:them|him|her|someone|somebody|a\s+person|(?:your|ur|the)\s+(?:\w+\s+)?(?:person|team|manager|"
    r"executive|agent|staff|engineer|officer|people|office|department|supervisor|head|in-?charge))\s+(?:call|ring|phone|contact|"
    r"email|e-mail|write\s+to|whatsapp)\b",
    r"\b(?:contact|reach)\s+me\s+(?:on|at|through|via|by|back)\b",
    r"\bwhoever\s+(?:manages|handles|looks\s+after|is\s+in\s+charge)\b.{0,40}\b(?:talk|speak|connect|contact|call|reach)\b",
    r"\btransfer\s+me\b(?!\s+(?:the|my|a|an|your|this|that|it|money|refund|amount|rs|inr)\b|\s+\d)",
    # Telugu, Kannada, Malayalam, Marathi, Gujarati and Punjabi in Roman script: "phone cheyyandi", "call maadi",
    # "agent jothe maatadbeku", "enne vilikkamo", "mala call kara", "manas sathe vaat", "bande naal gal karni"
    r"\b(?:call|phone|fone)\s+(?:chey\w*|maad\w*|madi|kara|kar[ao]?\s+na|kar\w*\s+dya)\b|\bjothe\s+maat\w*|"
    r"\b(?:enne|ennai|enna|enikku)\b.{0,25}\bvilik\w*|\bvaat\s+kar\w*|\bnaal\s+gal\s+kar\w*|"
    r"\b(?:customer\s+care|care|support|staff|office|evar\w*|yaar\w*|aarenkilum)\b.{0,20}"
    r"\b(?:matlad\w*|maathad\w*|maatad\w*|samsari\w*|pesa\w*)\b",
    # the number of the one in charge: "give me the branch manager's number"
    r"(?<!\bmy\s)\b(?:manager|supervisor|in-?charge|senior\s+official)(?:'s|s)?\s+(?:phone\s+|mobile\s+|contact\s+)?"
    r"(?:number|no\b|contact)",
    # Hinglish: "agent se baat karao", "kisi insaan se baat", "insaan chahiye"
    r"\b(?:agent|insaan|insan|banda|aadmi|kisi|person|human)\s+(?:se|ko|chahiye|bulao|bula\s+do)\b"
    r"(?!.{0,40}\b(?:servic\w*|repair\w*|install\w*|fix\w*|theek|thik|check\w*|lagana|lagwana|bhej\w*|ghar)\b)",
    r"\bkoi\s+(?:agent|insaan|insan|banda|aadmi|person|human)\b(?!\s+bhej)|\bkoi\s+(?:call|phone)\s+kar",
    r"\bbaat\s+(?:karao|karwao|karni|karna|karwa)\b",
    r"\b(?:mujhe|muje|mujhko)\s+(?:call|phone)\b|\b(?:call|phone)\s+(?:kar\s+lo|kar\s+do|karo|karwa\w*|kijiye|karein|kare)\b",
    # Tamil and Bengali in Roman script: "agent kitta pesanum", "manush er sathe kotha bolte chai", "call pannunga"
    r"\b(?:agent|human|person|executive|manager|supervisor|insaan|manush\w*|support|care|coordinator|aal)\s+"
    r"(?:kitta|kita|er\s+sathe|sathe|se|ko)\s+(?:pesa\w*|pesu\w*|kotha|baat|connect|line)",
    r"\b(?:manishi|manushya\w*|manushyan|manasan|vyakti|agent|manager|executive|supervisor)\w*\b.{0,25}"
    r"\b(?:matlad\w*|maathad\w*|samsari\w*|samsaar\w*|bolun|bolaych\w*|bolayla)\b|"
    r"\bcall\s+pannu\w*|\bphone\s*la\s+pes\w*|\bphone\s+kor\w*|\bkotha\s+bol\w*\s+chai\b",
    r"\b(?:supervisor|manager|executive|agent|someone|human)\b.{0,20}\b(?:line\s+pe|on\s+the\s+line)\b",
    # any human / person who can help
    r"\b(?:is\s+there\s+)?(?:any|a)\s*(?:one|body)?\s*(?:human|person)\s+(?:who|that|to)\s+(?:can|could)?\s*help",
    r"\b(?:any\s*one|any\s*body|some\s*one|some\s*body|sum1|sm1|sumbdy)\s+(?:on|from|frm|in|at)\s+(?:the|your|ur|yr)\s+"
    r"(?:company|team|office|support|staff|side|end)\b",
    r"\bnot\s+(?:a\s+|an\s+|another\s+)?(?:bot|robot|machine|script|automated|auto\s+repl\w*|canned)\b",
]
# the whole message is a word for a person
_ONLY = re.compile(r"^\s*(?:(?:a|an|the)\s+)?(?:live\s+|real\s+)?(?:human|humans|person|people|agent|operator|"
                   r"representative|executive|customer\s+(?:care|service|support)|support(?:\s+team)?|"
                   r"help\s*desk|helpdesk|manager|supervisor)\s*(?:please|pls|plz)?\s*[.!?]*\s*$", re.I)
_FRUSTRATED = [
    # ("not helpful" alone is left to the model: after an article it is kb_not_helpful, which hands over too)
    r"\buseless\b", r"\bnot\s+(?:at\s+all\s+)?helping\b", r"\b(?:you|this|bot|it)\s*(?:'re|are|is|r)?\s+(?:of\s+)?no\s+help\b", r"\bwaste\s+of\s+(?:my\s+)?time\b",
    r"\b(?:stupid|dumb|idiot\w*|pathetic|rubbish|nonsense|ridiculous|hopeless|terrible|horrible|worst)\s+"
    r"(?:bot|robot|machine|chatbot|assistant|service|system|app|answer|reply)\b",
    r"\b(?:bot|robot|machine|chatbot|assistant|you|this)\s+(?:is|are|r)\s+(?:so\s+|really\s+|totally\s+)?"
    r"(?:stupid|dumb|useless|pathetic|rubbish|hopeless|a\s+joke|a\s+waste)\b",
    r"\b(?:you|u)\s+(?:do\s*n[o']?t|dont|never)\s+understand\b", r"\bnot\s+understanding\b",
    r"\bfrustrat\w*\b", r"\bannoy(?:ing|ed)\b", r"\bbakwas\b", r"\bbeka+r\b", r"\bfaltu\b",
    r"\bwhat\s+(?:rubbish|nonsense)\b", r"\bgoing\s+(?:round\s+)?in\s+circles\b",
    r"\b(?:bot|chat|chatbot|this|it|ur|your)\s+(?:\w+\s+)?(?:is|r|are|'s)\s+(?:\w+\s+)?(?:trash|garbage|crap|a\s+joke|"
    r"pointless)\b",
    r"\bwast(?:e|ing)\s+(?:my|our)\s+time\b", r"\bconsumer\s+(?:court|forum|helpline)\b",
    r"\b(?:no\s+more\s+patience|losing\s+my\s+(?:mind|patience)|lost\s+my\s+patience)\b",
    # "ye bot kuch samajhta nahi", "bot onnum puriyala", "bujhte parchho na": you do not understand
    r"\bsamajh(?:ta|ti|te)\s+(?:hi\s+)?nahi\b", r"\bpuriyala\b", r"\bbujhte\s+par\w*\s+na\b",
    # "I'm done with this machine", "enough of this chatbot nonsense" (not "fed up of waiting": that may be any request)
    r"\b(?:done|fed\s+up|sick|tired)\s+(?:of|with)\s+(?:this|the|your|you)\s+(?:\w+\s+)?(?:bot|robot|machine|chatbot|"
    r"automated\s+\w+|script)\b",
    r"\benough\s+(?:of\s+)?(?:this|your)\s+(?:\w+\s+)?(?:bot|robot|machine|chatbot|nonsense)\b",
]
# "are you a human", "is this a bot", "am I talking to a person": about the bot, not a request
_ABOUT_THE_BOT = re.compile(
    r"\b(?:are|r)\s+(?:you|u)\s+(?:a\s+|an\s+)?(?:real|actual|human|bot|robot|machine|person|ai|computer|virtual|automated|software|"
    r"program|artificial)\b|"
    # "… a real person or just some program", "koi aadmi hai ya computer": which of the two is answering
    r"\b(?:person|human(?:\s+being)?|aadmi|insaan|someone|somebody|staff)\b.{0,30}\b(?:or|ya)\s+(?:just\s+)?(?:a\s+|an\s+|some\s+)?"
    r"(?:\w+\s+)?(?:bot|robot|machine|computer|program|software|ai)\s*\??\s*$|"
    r"\b(?:bot|robot|machine|computer|program|software|ai)\b.{0,20}\bor\s+(?:from\s+)?(?:just\s+)?(?:a\s+)?(?:real\s+)?"
    r"(?:some\s*one|some\s*body|sum1|person|human)\b|"
    r"\bis\s+(?:some\s*one|some\s*body|sum1)\s+real\b|"
    r"\bam\s+i\s+(?:talking|chatting|speaking)\s+(?:to|with)\b|"
    r"\bis\s+(?:this|it|that)\s+(?:a\s+|an\s+)?(?:real|human|bot|robot|machine|person|automated|computer|ai)\b|"
    r"\bis\s+(?:a|there\s+a)\s+(?:real\s+|live\s+|actual\s+)?(?:human|person|staff\s+member|employee|agent)\s+"
    r"(?:typing|reading|replying|on\s+the\s+other|answering)\b|"
    r"\bwho\s+(?:am\s+i|is\s+this)\b|"
    r"\b(?:whether|if)\s+(?:i\s+am|i'm|im)\s+(?:talking|speaking|chatting|corresponding|dealing)\s+(?:to|with)\b|"
    r"\b(?:whether|if)\s+(?:you\s+are|you're|ur|this\s+is)\s+(?:a\s+|an\s+)?(?:real|human|bot|robot|machine|person|"
    r"automated|ai|computer)\b|"
    # Hindi, Tamil, Bengali: "kya main insaan se baat kar raha hoon", "neenga human ah", "tumi ki manush"
    r"\bkya\s+(?:main|mai|mein|hum)\b.{0,30}\bbaat\s+kar\s+rah[aei]\b|\b(?:tum|aap|tu)\s+(?:bot|robot|machine|insaan)\s+ho\b|"
    r"\b(?:neenga|nee|tumi|apni)\b.{0,20}\b(?:human|robot|bot|manush|machine)\b", re.I)
# another company's care number ("what's the Amazon customer care number", "HDFC toll free number", "Paytm
# helpline"): a brand or bank named just before the line's name is not this company's desk, so those words
# are read out of the message before the rest is asked whether it wants one of ours
_OTHER_COMPANY = re.compile(
    r"\b(?!(?:your|ur|yr|you|the|a|an|any|this|that|our|what|whats|what's|is|of|for|me|give|send|tell|share|need|"
    r"want|pls|please|plz|kindly|number|no|my|service|repair|ac|a/c|appliance|amc|company|fieldserv|call|correct|"
    r"right|official|main|local|nearest|direct|24x7|24/7|free|toll|do|from|to|with|at|on|in|by|via|about|get|got|"
    r"find|know|unga|ungal|enga|aapka|aapke|aapki|apka|apke|tumhara|tumcha|tumchya|nimma|nimm|mee|mane|mujhe|mera|"
    r"meri|hamara|tamaro|tamara|ka|ki|ke|la|nu|dedo|customer|cust|care|help|support)\b)[a-z][\w&.'-]*\s+"
    r"(?:(?:card|bank|bank's|company's|credit\s+card|app|mobile|prepaid|postpaid|broadband|gas|electricity)\s+)?"
    r"(?:customer\s+(?:care|service|support)|cust\s+care|helpline|toll[\s-]*free|call\s+cent(?:re|er)|support)\s+"
    r"(?:number|no\b|nmbr|num\b|phone|contact|e-?mail|se\b|ko\b)|"
    # "the customer care contact of Bajaj Finance": a capitalised name after "of" or "for"
    r"\b(?:customer\s+(?:care|service|support)|cust\s+care|helpline|toll[\s-]*free|support)(?:\s+(?:number|no|contact|"
    r"e-?mail|id|details))*\s+(?:of|for)\s+(?!(?-i:AC|AMC|RO|TV|SR|UPS|LED|GST|Fieldserv)\b)(?-i:[A-Z][\w&'-]*)\b"
    # (not a place of ours: "the helpline number for Pune branch")
    r"(?!\s+(?:office|branch|centre|center|service|team|region|area|zone|city)\b)", re.I)
# a past conversation told as a story ("I talked to someone at your office last week and they fixed it",
# "someone from your support called and said ..."), with nothing asked now
_PAST_CONTACT = re.compile(r"\b(?:talked|spoke|spoken|chatted|called|rang|phoned|messaged|texted|e-?mailed|informed|"
                           r"got\s+a\s+call|had\s+a\s+(?:call|chat|word|talk|conversation))\b", re.I)
_ASKING_NOW = re.compile(r"\b(?:please|pls|plz|kindly|again|want|wanna|need|like|can|could|would|will|connect|transfer|"
                         r"escalate|call\s+me|contact\s+me|ring\s+me|why|nobody|no\s+one|never|still|not|didn'?t|"
                         r"hasn'?t|haven'?t|but)\b|\?", re.I)
ASKED = [re.compile(p, re.I) for p in _ASKED]
FRUSTRATED = [re.compile(p, re.I) for p in _FRUSTRATED]
# words that are capitals anyway: references, serials, acronyms of the trade
_CAPS_EXEMPT = re.compile(r"^(?:[A-Za-z]{1,4}[-/ ]?\d[\w-]*|\d[\w/-]*|AC|A/C|TV|RO|AMC|CMC|UPS|PCB|MCB|RCCB|LED|LCD|"
                          r"UPI|GST|SMS|OTP|ID|PIN|OK|OKAY|YES|NO|NOPE|HI|HELLO|BYE|I|SR|JB|INV|CT|RC|TK|EC|IE|UE|"
                          r"OE|DE|LE|FE|TE|CL|DF)$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*\d*[\w-]*")


def shouting(text: str) -> bool:
    """Three or more words of letters, all in capitals (references, serials and short acronyms aside)."""
    words = [w.strip("'’-") for w in _WORD.findall(text)]
    words = [w for w in words if sum(c.isalpha() for c in w) >= 2 and not _CAPS_EXEMPT.match(w)]
    return len(words) >= 3 and sum(len(w) for w in words) >= 12 and all(w.upper() == w for w in words)


_SENTENCE_END = re.compile(r"[?.!;]+")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text or "") if s.strip()]


def about_the_bot_only(text: str) -> bool:
    """Every sentence asks about the bot ("am I chatting with a live agent or a program?"): when
    ``trigger`` found nothing asked either, a question to answer honestly (bot_challenge, which
    offers a person), not a handoff."""
    said = sentences(text)
    return bool(said) and all(_ABOUT_THE_BOT.search(s) for s in said)


def trigger(text: str) -> str | None:
    """``"frustrated"``, ``"asked"`` or ``None`` for one user message."""
    if not text or text.startswith("/"):  # a button payload says what it means
        return None
    if any(p.search(text) for p in FRUSTRATED) or shouting(text):
        return "frustrated"
    if _ONLY.match(text):
        return "asked"
    if _PAST_CONTACT.search(text) and not _ASKING_NOW.search(text):
        return None
    # a question about the bot asks nothing by itself, but "are you a bot? get me a human" does:
    # each sentence is read on its own, those about the bot left out, another company's line read out
    asking = [s for s in sentences(_OTHER_COMPANY.sub(" ", text)) if not _ABOUT_THE_BOT.search(s)]
    if any(p.search(s) for s in asking for p in ASKED):
        return "asked"
    return None
