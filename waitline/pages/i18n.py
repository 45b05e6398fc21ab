"""The words around a waitlist's own copy (labels, buttons, messages), per language.

The copy itself (name, description, confirmation message) comes from the waitlist or its
locale variant; these are the few strings every hosted page shares. A language without a
catalogue here gets English, the language of the waitlist's own copy by default.
"""

from waitline.waitlists.variants import preferred_languages

DEFAULT_LANGUAGE = "en"

CATALOGUES: dict[str, dict[str, str]] = {
    "en": {
        "email": "Email",
        "name": "Name",
        "optional": "optional",
        "join": "Join the waitlist",
        "joining": "Joining…",
        "launch": "Launching",
        "people_waiting": "{count} people on the list",
        "invited_by": "A friend invited you: you both move up when you join.",
        "not_open": "This waitlist is not taking signups right now.",
        "fix_errors": "Please check the fields marked below.",
        "your_position": "Your place in line",
        "ahead": "{count} ahead of you",
        "of_waiting": "out of {count}",
        "confirm_first": "Check your inbox: confirm your email to take your place in line.",
        "invited": "You're invited! Check your inbox for the way in.",
        "off_list": "You are no longer waiting in this line.",
        "referral_title": "Move up by inviting friends",
        "referral_boost": "Each friend who joins with your link moves you up {boost} spot(s).",
        "referral_count": "Friends who joined: {count}",
        "copy": "Copy link",
        "copied": "Copied!",
        "share_on": "Share on",
        "share_email": "Email",
        "share_default": "I joined the {name} waitlist. Join with my link:",
        "leaderboard": "Top referrers",
        "rank": "Rank",
        "who": "Who",
        "referrals": "Referrals",
        "bad_link": "This link does not work",
        "bad_link_detail": "It may have been mistyped. Use the link from your email.",
        "not_found": "No such waitlist",
        "not_found_detail": "Check the address, or ask the team for the right link.",
        "powered": "Waitlist by Waitline",
        "something_wrong": "Something went wrong. Please try again.",
    },
    "fr": {
        "email": "E-mail",
        "name": "Nom",
        "optional": "facultatif",
        "join": "Rejoindre la liste",
        "joining": "Inscription…",
        "launch": "Lancement",
        "people_waiting": "{count} personnes inscrites",
        "invited_by": "Un ami vous invite : vous avancez tous les deux en vous inscrivant.",
        "not_open": "Cette liste n'accepte pas d'inscriptions pour le moment.",
        "fix_errors": "Vérifiez les champs signalés ci-dessous.",
        "your_position": "Votre place dans la file",
        "ahead": "{count} devant vous",
        "of_waiting": "sur {count}",
        "confirm_first": "Consultez vos e-mails : confirmez votre adresse pour prendre place.",
        "invited": "Vous êtes invité ! Consultez vos e-mails.",
        "off_list": "Vous n'attendez plus dans cette file.",
        "referral_title": "Avancez en invitant vos amis",
        "referral_boost": (
            "Chaque ami inscrit avec votre lien vous fait avancer de {boost} place(s)."
        ),
        "referral_count": "Amis inscrits : {count}",
        "copy": "Copier le lien",
        "copied": "Copié !",
        "share_on": "Partager sur",
        "share_email": "E-mail",
        "share_default": "Je suis sur la liste d'attente de {name}. Rejoignez-moi :",
        "leaderboard": "Meilleurs parrains",
        "rank": "Rang",
        "who": "Qui",
        "referrals": "Parrainages",
        "bad_link": "Ce lien ne fonctionne pas",
        "bad_link_detail": "Il a peut-être été mal recopié. Utilisez le lien de votre e-mail.",
        "not_found": "Liste introuvable",
        "not_found_detail": "Vérifiez l'adresse ou demandez le bon lien à l'équipe.",
        "powered": "Liste d'attente par Waitline",
        "something_wrong": "Une erreur est survenue. Réessayez.",
    },
    "de": {
        "email": "E-Mail",
        "name": "Name",
        "optional": "optional",
        "join": "Auf die Warteliste",
        "joining": "Wird eingetragen…",
        "launch": "Start",
        "people_waiting": "{count} Personen auf der Liste",
        "invited_by": (
            "Ein Freund hat dich eingeladen: Ihr rückt beide vor, wenn du dich einträgst."
        ),
        "not_open": "Diese Warteliste nimmt gerade keine Anmeldungen an.",
        "fix_errors": "Bitte prüfe die markierten Felder.",
        "your_position": "Dein Platz in der Schlange",
        "ahead": "{count} vor dir",
        "of_waiting": "von {count}",
        "confirm_first": "Bestätige deine E-Mail-Adresse, um deinen Platz einzunehmen.",
        "invited": "Du bist eingeladen! Sieh in dein Postfach.",
        "off_list": "Du wartest nicht mehr in dieser Schlange.",
        "referral_title": "Rück vor, indem du Freunde einlädst",
        "referral_boost": (
            "Jeder Freund, der sich über deinen Link einträgt, bringt dich {boost} "
            "Platz/Plätze nach vorn."
        ),
        "referral_count": "Eingeladene Freunde: {count}",
        "copy": "Link kopieren",
        "copied": "Kopiert!",
        "share_on": "Teilen auf",
        "share_email": "E-Mail",
        "share_default": "Ich stehe auf der Warteliste von {name}. Komm mit meinem Link dazu:",
        "leaderboard": "Die besten Werber",
        "rank": "Rang",
        "who": "Wer",
        "referrals": "Empfehlungen",
        "bad_link": "Dieser Link funktioniert nicht",
        "bad_link_detail": "Vielleicht wurde er falsch kopiert. Nutze den Link aus deiner E-Mail.",
        "not_found": "Keine solche Warteliste",
        "not_found_detail": "Prüfe die Adresse oder frag das Team nach dem richtigen Link.",
        "powered": "Warteliste von Waitline",
        "something_wrong": "Etwas ist schiefgegangen. Bitte versuche es noch einmal.",
    },
    "es": {
        "email": "Correo electrónico",
        "name": "Nombre",
        "optional": "opcional",
        "join": "Unirme a la lista",
        "joining": "Uniéndote…",
        "launch": "Lanzamiento",
        "people_waiting": "{count} personas en la lista",
        "invited_by": "Un amigo te invitó: los dos avanzáis cuando te unes.",
        "not_open": "Esta lista no acepta inscripciones ahora mismo.",
        "fix_errors": "Revisa los campos marcados abajo.",
        "your_position": "Tu lugar en la fila",
        "ahead": "{count} delante de ti",
        "of_waiting": "de {count}",
        "confirm_first": "Revisa tu correo: confirma tu dirección para ocupar tu lugar.",
        "invited": "¡Estás invitado! Revisa tu correo.",
        "off_list": "Ya no esperas en esta fila.",
        "referral_title": "Avanza invitando a tus amigos",
        "referral_boost": "Cada amigo que se une con tu enlace te adelanta {boost} puesto(s).",
        "referral_count": "Amigos que se unieron: {count}",
        "copy": "Copiar enlace",
        "copied": "¡Copiado!",
        "share_on": "Compartir en",
        "share_email": "Correo",
        "share_default": "Me uní a la lista de espera de {name}. Únete con mi enlace:",
        "leaderboard": "Mejores referidores",
        "rank": "Puesto",
        "who": "Quién",
        "referrals": "Referidos",
        "bad_link": "Este enlace no funciona",
        "bad_link_detail": "Puede que esté mal copiado. Usa el enlace de tu correo.",
        "not_found": "No existe esta lista",
        "not_found_detail": "Revisa la dirección o pide el enlace correcto al equipo.",
        "powered": "Lista de espera por Waitline",
        "something_wrong": "Algo salió mal. Inténtalo de nuevo.",
    },
    "pt": {
        "email": "E-mail",
        "name": "Nome",
        "optional": "opcional",
        "join": "Entrar na lista",
        "joining": "Entrando…",
        "launch": "Lançamento",
        "people_waiting": "{count} pessoas na lista",
        "invited_by": "Um amigo convidou você: os dois sobem quando você entra.",
        "not_open": "Esta lista não está aceitando inscrições agora.",
        "fix_errors": "Confira os campos marcados abaixo.",
        "your_position": "Seu lugar na fila",
        "ahead": "{count} na sua frente",
        "of_waiting": "de {count}",
        "confirm_first": "Confira seu e-mail: confirme o endereço para garantir seu lugar.",
        "invited": "Você foi convidado! Confira seu e-mail.",
        "off_list": "Você não está mais esperando nesta fila.",
        "referral_title": "Suba convidando amigos",
        "referral_boost": "Cada amigo que entra com seu link sobe você {boost} posição(ões).",
        "referral_count": "Amigos que entraram: {count}",
        "copy": "Copiar link",
        "copied": "Copiado!",
        "share_on": "Compartilhar no",
        "share_email": "E-mail",
        "share_default": "Entrei na lista de espera de {name}. Entre com meu link:",
        "leaderboard": "Quem mais indicou",
        "rank": "Posição",
        "who": "Quem",
        "referrals": "Indicações",
        "bad_link": "Este link não funciona",
        "bad_link_detail": "Talvez tenha sido copiado errado. Use o link do seu e-mail.",
        "not_found": "Lista não encontrada",
        "not_found_detail": "Confira o endereço ou peça o link certo à equipe.",
        "powered": "Lista de espera por Waitline",
        "something_wrong": "Algo deu errado. Tente de novo.",
    },
}


def choose_language(locale: str | None, lang: str | None, accept_language: str | None) -> str:
    """The locale variant shown decides; else the visitor's languages in order; else English."""
    candidates = [locale] if locale else preferred_languages(lang, accept_language)
    for tag in candidates:
        primary = tag.split("-")[0].lower()
        if primary in CATALOGUES:
            return primary
    return DEFAULT_LANGUAGE


def translator(language: str):
    """`t(key, **values)`: the string in `language`, English when it lacks one."""
    catalogue = CATALOGUES.get(language, CATALOGUES[DEFAULT_LANGUAGE])

    def t(key: str, **values: object) -> str:
        text = catalogue.get(key) or CATALOGUES[DEFAULT_LANGUAGE][key]
        return text.format(**values) if values else text

    return t
