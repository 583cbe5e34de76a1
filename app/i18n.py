"""Languages of the portal (Arabic, French, English) and the localized messages of the API."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Final, Literal

Language = Literal["ar", "fr", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("ar", "fr", "en")

# The language negotiated for the HTTP request being served (set by a middleware).
current_language: ContextVar[Language] = ContextVar("current_language", default="ar")


def negotiate(accept_language: str | None, default: Language) -> Language:
    """Pick ar, fr or en from an `Accept-Language` header, honouring q-values (RFC 9110)."""
    if not accept_language:
        return default
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate(accept_language.split(",")):
        parts = item.strip().split(";")
        tag = parts[0].strip().lower()
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and quality > 0:
            candidate = (quality, -position, primary)
            if best is None or candidate[:2] > best[:2]:
                best = (quality, -position, primary)
    return best[2] if best else default


def translate(key: str, language: Language | None = None, **params: object) -> str:
    """The message `key` in `language` (the current one by default), formatted with `params`."""
    lang = language or current_language.get()
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def in_every_language(key: str, **params: object) -> dict[str, str]:
    """The message `key` in each language, for what shows all three at once (the receipt, the
    lifecycle's labels)."""
    return {language: translate(key, language, **params) for language in LANGUAGES}


# The one catalogue of the portal's words, read only through `translate`: problem titles
# (`<code>.title`), details (`<code>.detail`), field-error messages (`field.<code>`), labels of
# states, actions and kinds, emails (`email.*`), SMS (`sms.*`) and the receipt (`receipt.*`).
MESSAGES: Final[dict[str, dict[str, str]]] = {
    # --- generic HTTP problems
    "not_found.title": {"en": "Not found", "fr": "Introuvable", "ar": "غير موجود"},
    "not_found.detail": {
        "en": "There is nothing at this address.",
        "fr": "Il n'y a rien à cette adresse.",
        "ar": "لا يوجد أي مورد في هذا العنوان.",
    },
    "method_not_allowed.title": {
        "en": "Method not allowed",
        "fr": "Méthode non autorisée",
        "ar": "الطريقة غير مسموح بها",
    },
    "method_not_allowed.detail": {
        "en": "This address does not accept this HTTP method.",
        "fr": "Cette adresse n'accepte pas cette méthode HTTP.",
        "ar": "هذا العنوان لا يقبل طريقة HTTP هذه.",
    },
    "bad_request.title": {"en": "Bad request", "fr": "Requête invalide", "ar": "طلب غير صالح"},
    "malformed_multipart.title": {
        "en": "Malformed upload",
        "fr": "Envoi mal formé",
        "ar": "إرسال غير سليم البنية",
    },
    "malformed_multipart.detail": {
        "en": "The body is not a well-formed multipart/form-data document: send each file as a part with a Content-Disposition header naming its filename.",
        "fr": "Le corps n'est pas un document multipart/form-data bien formé : envoyez chaque fichier dans une partie dont l'en-tête Content-Disposition donne le nom du fichier.",
        "ar": "المحتوى ليس وثيقة multipart/form-data سليمة البنية: أرسلوا كل ملف في جزء يحمل ترويسة Content-Disposition تذكر اسم الملف.",
    },
    "bad_request.detail": {
        "en": "The request could not be understood.",
        "fr": "La requête n'a pas pu être comprise.",
        "ar": "تعذر فهم الطلب.",
    },
    "validation_failed.title": {
        "en": "Invalid data",
        "fr": "Données invalides",
        "ar": "معطيات غير صالحة",
    },
    "validation_failed.detail": {
        "en": "Some fields are missing or invalid; see `errors`.",
        "fr": "Certains champs sont manquants ou invalides ; voir `errors`.",
        "ar": "بعض الحقول ناقصة أو غير صالحة؛ انظر `errors`.",
    },
    "internal_error.title": {
        "en": "Internal error",
        "fr": "Erreur interne",
        "ar": "خطأ داخلي",
    },
    "internal_error.detail": {
        "en": "An unexpected error occurred. Quote the error id {error_id} when you contact us.",
        "fr": "Une erreur inattendue s'est produite. Citez l'identifiant {error_id} en nous contactant.",
        "ar": "حدث خطأ غير متوقع. المرجو ذكر رقم الخطأ {error_id} عند التواصل معنا.",
    },
    "service_unavailable.title": {
        "en": "Service unavailable",
        "fr": "Service indisponible",
        "ar": "الخدمة غير متوفرة",
    },
    "service_unavailable.detail": {
        "en": "The database does not answer; try again shortly.",
        "fr": "La base de données ne répond pas ; réessayez dans un instant.",
        "ar": "قاعدة البيانات لا تستجيب؛ المرجو إعادة المحاولة بعد قليل.",
    },
    "invalid_characters.title": {
        "en": "Characters that cannot be kept",
        "fr": "Caractères impossibles à conserver",
        "ar": "حروف لا يمكن حفظها",
    },
    "invalid_characters.detail": {
        "en": "The request holds a character that text may not contain (such as NUL, U+0000). Remove it and try again.",
        "fr": "La requête contient un caractère interdit dans un texte (comme NUL, U+0000). Retirez-le puis réessayez.",
        "ar": "يتضمن الطلب حرفا غير مسموح به في النصوص (مثل NUL، U+0000). المرجو حذفه وإعادة المحاولة.",
    },
    "service_not_found.title": {
        "en": "Service not found",
        "fr": "Service introuvable",
        "ar": "خدمة غير موجودة",
    },
    "service_not_found.detail": {
        "en": "This administration has no service with the code {code}.",
        "fr": "Cette administration n'a pas de service portant le code {code}.",
        "ar": "لا تتوفر هذه الإدارة على خدمة تحمل الرمز {code}.",
    },
    # The catalogue's management (app.services.catalogue_admin).
    "administration_exists.title": {
        "en": "Administration code taken",
        "fr": "Code d'administration déjà pris",
        "ar": "رمز الإدارة مستعمل",
    },
    "administration_exists.detail": {
        "en": "An administration already has the code {code}; codes never change, choose another.",
        "fr": "Une administration porte déjà le code {code} ; les codes ne changent jamais, choisissez-en un autre.",
        "ar": "توجد إدارة تحمل الرمز {code}؛ الرموز لا تتغير، المرجو اختيار رمز آخر.",
    },
    "service_exists.title": {
        "en": "Service code taken",
        "fr": "Code de service déjà pris",
        "ar": "رمز الخدمة مستعمل",
    },
    "service_exists.detail": {
        "en": "This administration already has a service with the code {code} (perhaps archived): choose another, or edit that one.",
        "fr": "Cette administration a déjà un service portant le code {code} (peut-être archivé) : choisissez-en un autre, ou modifiez celui-là.",
        "ar": "لدى هذه الإدارة خدمة تحمل الرمز {code} (ربما مؤرشفة): اختر رمزا آخر أو عدّل تلك الخدمة.",
    },
    "national_admin_only.title": {
        "en": "For national administrators only",
        "fr": "Réservé aux administrateurs nationaux",
        "ar": "خاص بالمسؤولين الوطنيين",
    },
    "national_admin_only.detail": {
        "en": "Supervisors edit their own services' texts and attributes; deadlines, kinds, archiving and new administrations or services are for national administrators.",
        "fr": "Les superviseurs modifient les textes et attributs de leurs propres services ; les délais, les types, l'archivage et les nouvelles administrations ou services relèvent des administrateurs nationaux.",
        "ar": "يعدّل المشرفون نصوص وخصائص خدمات إدارتهم؛ أما الآجال والأنواع والأرشفة وإحداث الإدارات أو الخدمات فمن اختصاص المسؤولين الوطنيين.",
    },
    "other_administration.title": {
        "en": "Another administration's catalogue",
        "fr": "Catalogue d'une autre administration",
        "ar": "دليل إدارة أخرى",
    },
    "other_administration.detail": {
        "en": "Supervisors manage their own administration's services only.",
        "fr": "Les superviseurs ne gèrent que les services de leur propre administration.",
        "ar": "لا يدبّر المشرفون إلا خدمات إدارتهم.",
    },
    "field.over_legal_maximum": {
        "en": "Beyond the legal maximum of {max} days.",
        "fr": "Au-delà du maximum légal de {max} jours.",
        "ar": "يتجاوز الحد الأقصى القانوني المحدد في {max} يوما.",
    },
    "field.duplicate": {
        "en": "Already used by another item of this list.",
        "fr": "Déjà utilisé par un autre élément de cette liste.",
        "ar": "مستعمل من قبل في عنصر آخر من هذه اللائحة.",
    },
    "field.min_above_max": {
        "en": "The minimum is greater than the maximum.",
        "fr": "Le minimum dépasse le maximum.",
        "ar": "الحد الأدنى أكبر من الحد الأقصى.",
    },
    "field.parent_cycle": {
        "en": "An administration cannot be its own parent, nor its sub-unit's sub-unit.",
        "fr": "Une administration ne peut être son propre parent, ni la sous-unité de sa sous-unité.",
        "ar": "لا يمكن لإدارة أن تكون تابعة لنفسها ولا لإحدى الوحدات التابعة لها.",
    },
    "field.national_admin_only": {
        "en": "Only national administrators change this.",
        "fr": "Seuls les administrateurs nationaux modifient ceci.",
        "ar": "لا يغيّر هذا إلا المسؤولون الوطنيون.",
    },
    "field.personal_kept": {
        "en": "Requests already hold personal data in this field: it stays marked personal.",
        "fr": "Des demandes contiennent déjà des données personnelles dans ce champ : il reste marqué personnel.",
        "ar": "تتضمن طلبات سابقة معطيات شخصية في هذا الحقل: يبقى مصنفا شخصيا.",
    },
    "field.service_archived": {
        "en": "This service is archived: it takes no new requests. Choose another service.",
        "fr": "Ce service est archivé : il ne reçoit plus de nouvelles demandes. Choisissez un autre service.",
        "ar": "هذه الخدمة مؤرشفة: لم تعد تستقبل طلبات جديدة. المرجو اختيار خدمة أخرى.",
    },
    "payload_too_large.title": {
        "en": "Payload too large",
        "fr": "Contenu trop volumineux",
        "ar": "المحتوى كبير جدا",
    },
    "payload_too_large.detail": {
        "en": "The request body exceeds the limit of {limit} bytes.",
        "fr": "Le corps de la requête dépasse la limite de {limit} octets.",
        "ar": "يتجاوز محتوى الطلب الحد المسموح به وهو {limit} بايت.",
    },
    "file_too_large.title": {
        "en": "File too large",
        "fr": "Fichier trop volumineux",
        "ar": "الملف كبير جدا",
    },
    "file_too_large.detail": {
        "en": "Each file may have at most {limit} bytes.",
        "fr": "Chaque fichier peut faire au plus {limit} octets.",
        "ar": "لا يمكن أن يتجاوز حجم كل ملف {limit} بايت.",
    },
    "too_many_attachments.title": {
        "en": "Too many documents",
        "fr": "Trop de documents",
        "ar": "عدد الوثائق كبير جدا",
    },
    "too_many_attachments.detail": {
        "en": "At most {per_upload} files per upload and {per_request} per request.",
        "fr": "Au plus {per_upload} fichiers par envoi et {per_request} par demande.",
        "ar": "على الأكثر {per_upload} ملفات في كل إرسال و{per_request} لكل طلب.",
    },
    "file_type_not_allowed.title": {
        "en": "File type not accepted",
        "fr": "Type de fichier refusé",
        "ar": "نوع الملف غير مقبول",
    },
    "file_type_not_allowed.detail": {
        "en": "The content of '{name}' is {found}; accepted: PDF, JPEG, PNG, WebP, HEIC, DOCX, ODT.",
        "fr": "Le contenu de « {name} » est {found} ; acceptés : PDF, JPEG, PNG, WebP, HEIC, DOCX, ODT.",
        "ar": "محتوى «{name}» من نوع {found}؛ المقبول: PDF وJPEG وPNG وWebP وHEIC وDOCX وODT.",
    },
    "unsupported_media_type.title": {
        "en": "Unsupported media type",
        "fr": "Type de contenu non pris en charge",
        "ar": "نوع المحتوى غير مدعوم",
    },
    "unsupported_media_type.detail": {
        "en": "Send the body as {expected}.",
        "fr": "Envoyez le corps au format {expected}.",
        "ar": "المرجو إرسال المحتوى بصيغة {expected}.",
    },
    "request_timeout.title": {
        "en": "Request timeout",
        "fr": "Délai de requête dépassé",
        "ar": "انتهت مهلة الطلب",
    },
    "request_timeout.detail": {
        "en": "The rest of the request body did not arrive in time; send it again.",
        "fr": "La suite du corps de la requête n'est pas arrivée à temps ; renvoyez-la.",
        "ar": "لم يصل باقي محتوى الطلب في الوقت المحدد؛ المرجو إعادة إرساله.",
    },
    "too_many_uploads.title": {
        "en": "Too many uploads at once",
        "fr": "Trop d'envois simultanés",
        "ar": "إرسالات متزامنة كثيرة جدا",
    },
    "too_many_uploads.detail": {
        "en": "At most {limit} uploads at a time. Try again in {retry_after} seconds.",
        "fr": "Au plus {limit} envois à la fois. Réessayez dans {retry_after} secondes.",
        "ar": "لا يُسمح بأكثر من {limit} إرسالات في آن واحد. المرجو إعادة المحاولة بعد {retry_after} ثانية.",
    },
    # --- authentication and authorization
    "unauthorized.title": {
        "en": "Authentication required",
        "fr": "Authentification requise",
        "ar": "المصادقة مطلوبة",
    },
    "unauthorized.detail": {
        "en": "Send a valid bearer token.",
        "fr": "Envoyez un jeton d'accès valide.",
        "ar": "المرجو إرسال رمز ولوج صالح.",
    },
    "invalid_token.title": {"en": "Invalid token", "fr": "Jeton invalide", "ar": "رمز غير صالح"},
    "invalid_token.detail": {
        "en": "The bearer token is invalid or has expired.",
        "fr": "Le jeton d'accès est invalide ou a expiré.",
        "ar": "رمز الولوج غير صالح أو انتهت صلاحيته.",
    },
    "invalid_api_key.title": {
        "en": "Invalid API key",
        "fr": "Clé d'API invalide",
        "ar": "مفتاح الربط غير صالح",
    },
    "invalid_api_key.detail": {
        "en": "The X-API-Key integration key is unknown or has been revoked.",
        "fr": "La clé d'intégration X-API-Key est inconnue ou a été révoquée.",
        "ar": "مفتاح الربط X-API-Key غير معروف أو تم إلغاؤه.",
    },
    "ambiguous_credentials.title": {
        "en": "Two credentials",
        "fr": "Deux identifiants",
        "ar": "وسيلتا تعريف",
    },
    "ambiguous_credentials.detail": {
        "en": "Send either a staff token or an X-API-Key integration key, not both.",
        "fr": "Envoyez soit un jeton d'agent, soit une clé d'intégration X-API-Key, pas les deux.",
        "ar": "أرسلوا إما رمز الموظف وإما مفتاح الربط X-API-Key، لا الاثنين معا.",
    },
    "invalid_credentials.title": {
        "en": "Invalid credentials",
        "fr": "Identifiants invalides",
        "ar": "بيانات الدخول غير صحيحة",
    },
    "invalid_credentials.detail": {
        "en": "The email or the password is wrong.",
        "fr": "L'adresse électronique ou le mot de passe est incorrect.",
        "ar": "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
    },
    "forbidden.title": {"en": "Forbidden", "fr": "Accès refusé", "ar": "الولوج مرفوض"},
    "forbidden.detail": {
        "en": "Your role does not allow this operation.",
        "fr": "Votre rôle ne permet pas cette opération.",
        "ar": "دورك لا يسمح بهذه العملية.",
    },
    "too_many_attempts.title": {
        "en": "Too many attempts",
        "fr": "Trop de tentatives",
        "ar": "محاولات كثيرة جدا",
    },
    "too_many_attempts.detail": {
        "en": "Too many failed attempts. Try again in {retry_after} seconds.",
        "fr": "Trop de tentatives échouées. Réessayez dans {retry_after} secondes.",
        "ar": "محاولات فاشلة كثيرة. المرجو إعادة المحاولة بعد {retry_after} ثانية.",
    },
    "too_many_submissions.title": {
        "en": "Too many submissions from your network",
        "fr": "Trop de demandes depuis votre réseau",
        "ar": "طلبات كثيرة جدا من شبكتك",
    },
    "too_many_submissions.detail": {
        "en": "Too many requests were filed from your network address. Try again in {retry_after} seconds, or solve the challenge of GET /api/v1/challenges and send its solution in the X-Altcha header.",
        "fr": "Trop de demandes ont été déposées depuis votre adresse réseau. Réessayez dans {retry_after} secondes, ou résolvez le défi de GET /api/v1/challenges et envoyez sa solution dans l'en-tête X-Altcha.",
        "ar": "تم إيداع طلبات كثيرة جدا من عنوان شبكتك. المرجو إعادة المحاولة بعد {retry_after} ثانية، أو حل التحدي الذي يقدمه GET /api/v1/challenges وإرسال حله في الترويسة X-Altcha.",
    },
    "challenge_invalid.title": {
        "en": "Invalid challenge solution",
        "fr": "Solution du défi invalide",
        "ar": "حل التحدي غير صالح",
    },
    "challenge_invalid.detail": {
        "en": "The X-Altcha header does not hold a solution to a challenge of this portal. Get a new challenge from GET /api/v1/challenges.",
        "fr": "L'en-tête X-Altcha ne contient pas la solution d'un défi de ce portail. Demandez un nouveau défi à GET /api/v1/challenges.",
        "ar": "الترويسة X-Altcha لا تحمل حلا لتحد صادر عن هذه البوابة. اطلب تحديا جديدا من GET /api/v1/challenges.",
    },
    "challenge_expired.title": {
        "en": "Challenge expired",
        "fr": "Défi expiré",
        "ar": "انتهت صلاحية التحدي",
    },
    "challenge_expired.detail": {
        "en": "This challenge has expired. Get a new one from GET /api/v1/challenges.",
        "fr": "Ce défi a expiré. Demandez-en un nouveau à GET /api/v1/challenges.",
        "ar": "انتهت صلاحية هذا التحدي. اطلب تحديا جديدا من GET /api/v1/challenges.",
    },
    "challenge_used.title": {
        "en": "Challenge already used",
        "fr": "Défi déjà utilisé",
        "ar": "التحدي مستعمل من قبل",
    },
    "challenge_used.detail": {
        "en": "Each challenge solution serves once. Get a new challenge from GET /api/v1/challenges.",
        "fr": "Chaque solution de défi ne sert qu'une fois. Demandez un nouveau défi à GET /api/v1/challenges.",
        "ar": "كل حل لتحد يستعمل مرة واحدة فقط. اطلب تحديا جديدا من GET /api/v1/challenges.",
    },
    "otp_required.title": {
        "en": "One-time code required",
        "fr": "Code à usage unique requis",
        "ar": "الرمز المؤقت مطلوب",
    },
    "otp_required.detail": {
        "en": "This account has a second factor: send the current code of your authenticator app in the field otp (or client_secret).",
        "fr": "Ce compte a un second facteur : envoyez le code actuel de votre application d'authentification dans le champ otp (ou client_secret).",
        "ar": "هذا الحساب محمي بعامل ثان: المرجو إرسال الرمز الحالي لتطبيق المصادقة في الحقل otp (أو client_secret).",
    },
    "otp_invalid.title": {
        "en": "Invalid one-time code",
        "fr": "Code à usage unique invalide",
        "ar": "رمز مؤقت غير صالح",
    },
    "otp_invalid.detail": {
        "en": "The one-time code is wrong, expired or already used. Wait for the next code and try again.",
        "fr": "Le code à usage unique est erroné, expiré ou déjà utilisé. Attendez le code suivant et réessayez.",
        "ar": "الرمز المؤقت خاطئ أو منتهي الصلاحية أو سبق استعماله. انتظروا الرمز الموالي وأعيدوا المحاولة.",
    },
    "otp_not_enrolled.title": {
        "en": "Second factor not enrolled",
        "fr": "Second facteur non enrôlé",
        "ar": "العامل الثاني غير مفعل",
    },
    "otp_not_enrolled.detail": {
        "en": "Your role requires a second factor. Ask an administrator to enroll one for your account.",
        "fr": "Votre rôle exige un second facteur. Demandez à un administrateur d'en enrôler un pour votre compte.",
        "ar": "يتطلب دوركم عاملا ثانيا للمصادقة. المرجو مطالبة المسؤول بتفعيله لحسابكم.",
    },
    "invalid_reset_token.title": {
        "en": "Invalid reset link",
        "fr": "Lien de réinitialisation invalide",
        "ar": "رابط إعادة التعيين غير صالح",
    },
    "invalid_reset_token.detail": {
        "en": "This password-reset link is wrong, expired or already used. Ask for a new one.",
        "fr": "Ce lien de réinitialisation du mot de passe est erroné, expiré ou déjà utilisé. Demandez-en un nouveau.",
        "ar": "رابط إعادة تعيين كلمة المرور هذا خاطئ أو منتهي الصلاحية أو سبق استعماله. المرجو طلب رابط جديد.",
    },
    "user_not_found.title": {
        "en": "Account not found",
        "fr": "Compte introuvable",
        "ar": "الحساب غير موجود",
    },
    "user_not_found.detail": {
        "en": "No staff account with this id is visible to you.",
        "fr": "Aucun compte du personnel avec cet identifiant ne vous est accessible.",
        "ar": "لا يوجد حساب موظف بهذا المعرف في متناولكم.",
    },
    "account_inactive.title": {
        "en": "Account deactivated",
        "fr": "Compte désactivé",
        "ar": "الحساب معطل",
    },
    "account_inactive.detail": {
        "en": "This account is deactivated: reactivate it first.",
        "fr": "Ce compte est désactivé : réactivez-le d'abord.",
        "ar": "هذا الحساب معطل: المرجو إعادة تفعيله أولا.",
    },
    "wrong_current_password.title": {
        "en": "Wrong current password",
        "fr": "Mot de passe actuel erroné",
        "ar": "كلمة المرور الحالية خاطئة",
    },
    "wrong_current_password.detail": {
        "en": "The current password is wrong; the password was not changed.",
        "fr": "Le mot de passe actuel est erroné ; le mot de passe n'a pas été changé.",
        "ar": "كلمة المرور الحالية خاطئة؛ لم يتم تغيير كلمة المرور.",
    },
    "own_account.title": {
        "en": "Your own account",
        "fr": "Votre propre compte",
        "ar": "حسابكم الخاص",
    },
    "own_account.detail": {
        "en": "You cannot deactivate your own account; ask another administrator.",
        "fr": "Vous ne pouvez pas désactiver votre propre compte ; demandez à un autre administrateur.",
        "ar": "لا يمكنكم تعطيل حسابكم الخاص؛ المرجو مطالبة مسؤول آخر.",
    },
    # --- catalogue
    "administration_not_found.title": {
        "en": "Administration not found",
        "fr": "Administration introuvable",
        "ar": "الإدارة غير موجودة",
    },
    "administration_not_found.detail": {
        "en": "No administration has the code {code}.",
        "fr": "Aucune administration n'a le code {code}.",
        "ar": "لا توجد إدارة بالرمز {code}.",
    },
    # --- requests
    "request_not_found.title": {
        "en": "Request not found",
        "fr": "Demande introuvable",
        "ar": "الطلب غير موجود",
    },
    "request_not_found.detail": {
        "en": "No request with this tracking number is visible to you.",
        "fr": "Aucune demande avec ce numéro de suivi ne vous est accessible.",
        "ar": "لا يوجد طلب بهذا الرقم متاح لك.",
    },
    "receipt_not_found.title": {
        "en": "Unknown receipt",
        "fr": "Reçu inconnu",
        "ar": "إيصال غير معروف",
    },
    "receipt_not_found.detail": {
        "en": "No receipt has this verification code: it may be forged or mistyped.",
        "fr": "Aucun reçu ne porte ce code de vérification : il est peut-être falsifié ou mal saisi.",
        "ar": "لا يوجد إيصال بهذا الرمز: قد يكون مزورا أو أُدخل بشكل خاطئ.",
    },
    "citizens.code_sent": {
        "en": "If this contact can receive it, a code is on its way. It is valid for 10 minutes.",
        "fr": "Si ce contact peut le recevoir, un code est en route. Il est valable 10 minutes.",
        "ar": "إذا كانت وسيلة الاتصال هذه قادرة على استقباله، فالرمز في الطريق. صالح لمدة 10 دقائق.",
    },
    "citizens.export_truncated": {
        "en": "Only your {count} most recent requests are in this export; every request stays listed by GET /api/v1/citizens/me/requests and readable one by one.",
        "fr": "Seules vos {count} demandes les plus récentes figurent dans cet export ; toutes restent listées par GET /api/v1/citizens/me/requests et lisibles une à une.",
        "ar": "لا يتضمن هذا التصدير سوى أحدث {count} من طلباتكم؛ تبقى جميع الطلبات مدرجة عبر GET /api/v1/citizens/me/requests ويمكن الاطلاع عليها واحدا واحدا.",
    },
    "code_invalid.title": {
        "en": "Wrong or expired code",
        "fr": "Code erroné ou expiré",
        "ar": "رمز خاطئ أو منتهي الصلاحية",
    },
    "code_invalid.detail": {
        "en": "This code is not the one sent to this contact, or it has expired or been used. Ask for a new code.",
        "fr": "Ce code n'est pas celui envoyé à ce contact, ou il a expiré ou déjà servi. Demandez un nouveau code.",
        "ar": "هذا الرمز ليس الرمز المرسل إلى وسيلة الاتصال هذه، أو انتهت صلاحيته أو استُعمل. اطلبوا رمزا جديدا.",
    },
    "tracking_failed.title": {
        "en": "Request not found",
        "fr": "Demande introuvable",
        "ar": "الطلب غير موجود",
    },
    "tracking_failed.detail": {
        "en": "The tracking number and the email or phone do not match any request.",
        "fr": "Le numéro de suivi et l'adresse électronique ou le téléphone ne correspondent à aucune demande.",
        "ar": "رقم التتبع والبريد الإلكتروني أو الهاتف لا يطابقان أي طلب.",
    },
    "transition_not_allowed.title": {
        "en": "Action not allowed",
        "fr": "Action non autorisée",
        "ar": "إجراء غير مسموح به",
    },
    "transition_not_allowed.detail": {
        "en": "The action '{action}' is not allowed on a {kind} in state '{state}'. Allowed: {allowed}.",
        "fr": "L'action « {action} » n'est pas permise sur une demande ({kind}) à l'état « {state} ». Actions permises : {allowed}.",
        "ar": "الإجراء «{action}» غير مسموح به على طلب ({kind}) في الحالة «{state}». الإجراءات المسموح بها: {allowed}.",
    },
    "action_not_for_role.title": {
        "en": "Not an action for your role",
        "fr": "Action réservée à un autre rôle",
        "ar": "إجراء مخصص لدور آخر",
    },
    "action_not_for_role.detail": {
        "en": "The action '{action}' is possible in state '{state}', but not for the role '{role}'. Yours: {allowed}.",
        "fr": "L'action « {action} » est possible à l'état « {state} », mais pas pour le rôle « {role} ». Les vôtres : {allowed}.",
        "ar": "الإجراء «{action}» ممكن في الحالة «{state}»، لكن ليس للدور «{role}». إجراءاتكم: {allowed}.",
    },
    "unknown_action.title": {
        "en": "Unknown action",
        "fr": "Action inconnue",
        "ar": "إجراء غير معروف",
    },
    "unknown_action.detail": {
        "en": "'{action}' is not an action of the lifecycle.",
        "fr": "« {action} » n'est pas une action du cycle de vie.",
        "ar": "«{action}» ليس إجراء من إجراءات دورة الحياة.",
    },
    "reopen_window_expired.title": {
        "en": "Reopen window has closed",
        "fr": "Le délai de réouverture est dépassé",
        "ar": "انقضى أجل إعادة الفتح",
    },
    "reopen_window_expired.detail": {
        "en": "An answered request can be reopened within {days} days of the answer.",
        "fr": "Une demande répondue peut être rouverte dans les {days} jours suivant la réponse.",
        "ar": "يمكن إعادة فتح الطلب خلال {days} يوما من تاريخ الجواب.",
    },
    "reopen_limit_reached.title": {
        "en": "Reopen limit reached",
        "fr": "Nombre maximal de réouvertures atteint",
        "ar": "تم بلوغ الحد الأقصى لإعادة الفتح",
    },
    "reopen_limit_reached.detail": {
        "en": "This request has already been reopened {count} times, the maximum.",
        "fr": "Cette demande a déjà été rouverte {count} fois, le maximum.",
        "ar": "سبق إعادة فتح هذا الطلب {count} مرات، وهو الحد الأقصى.",
    },
    "already_rated.title": {"en": "Already rated", "fr": "Déjà évaluée", "ar": "تم التقييم سابقا"},
    "already_rated.detail": {
        "en": "The answer to this request has already been rated.",
        "fr": "La réponse à cette demande a déjà été évaluée.",
        "ar": "سبق تقييم الجواب على هذا الطلب.",
    },
    "not_answered.title": {
        "en": "Not answered yet",
        "fr": "Pas encore de réponse",
        "ar": "لم تتم الإجابة بعد",
    },
    "not_answered.detail": {
        "en": "A request can be rated only after the administration has answered it.",
        "fr": "Une demande ne peut être évaluée qu'après la réponse de l'administration.",
        "ar": "لا يمكن تقييم الطلب إلا بعد جواب الإدارة.",
    },
    "reopen_window_open.title": {
        "en": "Reopen window still open",
        "fr": "Délai de réouverture en cours",
        "ar": "أجل إعادة الفتح لم ينقض بعد",
    },
    "reopen_window_open.detail": {
        "en": "The request closes by itself only once its reopen window has passed.",
        "fr": "La demande ne se clôt d'elle-même qu'une fois le délai de réouverture passé.",
        "ar": "لا يُغلق الطلب تلقائيا إلا بعد انقضاء أجل إعادة الفتح.",
    },
    "retention_running.title": {
        "en": "Retention period still running",
        "fr": "Durée de conservation en cours",
        "ar": "مدة الحفظ لم تنقض بعد",
    },
    "retention_running.detail": {
        "en": "Personal data is removed only {days} days after the request was closed or rejected.",
        "fr": "Les données personnelles ne sont effacées que {days} jours après la clôture ou le rejet de la demande.",
        "ar": "لا تُمحى المعطيات الشخصية إلا بعد {days} يوما من إغلاق الطلب أو رفضه.",
    },
    "deadline_not_reached.title": {
        "en": "Deadline not reached",
        "fr": "Échéance non atteinte",
        "ar": "الأجل لم يحن بعد",
    },
    "deadline_not_reached.detail": {
        "en": "The deadline work of this request is not due at this moment.",
        "fr": "Le traitement de l'échéance de cette demande n'est pas dû à ce moment.",
        "ar": "لم يحن بعد وقت معالجة أجل هذا الطلب.",
    },
    "already_anonymized.title": {
        "en": "Already anonymized",
        "fr": "Déjà anonymisée",
        "ar": "تم إخفاء الهوية سابقا",
    },
    "already_anonymized.detail": {
        "en": "The personal data of this request has already been removed.",
        "fr": "Les données personnelles de cette demande ont déjà été effacées.",
        "ar": "سبق محو المعطيات الشخصية لهذا الطلب.",
    },
    "precondition_failed.title": {
        "en": "The request has changed",
        "fr": "La demande a changé",
        "ar": "تغير الطلب",
    },
    "precondition_failed.detail": {
        "en": "The request was modified since you read it (ETag {current}); reload it and try again.",
        "fr": "La demande a été modifiée depuis votre lecture (ETag {current}) ; rechargez-la et réessayez.",
        "ar": "تم تعديل الطلب منذ قراءتك له (ETag {current})؛ المرجو إعادة تحميله والمحاولة مجددا.",
    },
    "idempotency_key_reused.title": {
        "en": "Idempotency key reused",
        "fr": "Clé d'idempotence réutilisée",
        "ar": "مفتاح عدم التكرار مستعمل",
    },
    "idempotency_key_reused.detail": {
        "en": "This Idempotency-Key was already used with a different body.",
        "fr": "Cette clé Idempotency-Key a déjà servi avec un autre contenu.",
        "ar": "سبق استعمال مفتاح Idempotency-Key هذا مع محتوى مختلف.",
    },
    "idempotency_in_progress.title": {
        "en": "Request already in progress",
        "fr": "Requête déjà en cours",
        "ar": "الطلب قيد المعالجة",
    },
    "idempotency_in_progress.detail": {
        "en": "A request with this Idempotency-Key is still being processed; retry in a moment.",
        "fr": "Une requête avec cette clé Idempotency-Key est encore en cours ; réessayez dans un instant.",
        "ar": "طلب بمفتاح Idempotency-Key هذا لا يزال قيد المعالجة؛ أعد المحاولة بعد لحظة.",
    },
    "contact_not_allowed.title": {
        "en": "Contact cannot be attached",
        "fr": "Contact impossible à ajouter",
        "ar": "لا يمكن إضافة وسيلة الاتصال",
    },
    "contact_not_allowed.detail": {
        "en": "A contact can be attached only to a request received by mail or by phone.",
        "fr": "Un contact ne peut être ajouté qu'à une demande reçue par courrier ou par téléphone.",
        "ar": "لا يمكن إضافة وسيلة اتصال إلا لطلب ورد عبر البريد أو الهاتف.",
    },
    "contact_already_set.title": {
        "en": "The request already has a contact",
        "fr": "La demande a déjà un contact",
        "ar": "للطلب وسيلة اتصال من قبل",
    },
    "contact_already_set.detail": {
        "en": "Only a supervisor of the request's administration can replace its contact; its current contact will be told.",
        "fr": "Seul un superviseur de l'administration de la demande peut en remplacer le contact ; le contact actuel en sera informé.",
        "ar": "لا يمكن تغيير وسيلة الاتصال إلا من طرف مشرف في الإدارة المعنية بالطلب، وسيتم إخبار صاحب وسيلة الاتصال الحالية.",
    },
    "open311.unknown_jurisdiction": {
        "en": "Unknown jurisdiction_id: this endpoint serves {jurisdiction}.",
        "fr": "jurisdiction_id inconnu : ce point d'accès sert {jurisdiction}.",
        "ar": "jurisdiction_id غير معروف: هذه الواجهة تخدم {jurisdiction}.",
    },
    "open311.unknown_format": {
        "en": "Unknown format: use .json or .xml.",
        "fr": "Format inconnu : utilisez .json ou .xml.",
        "ar": "صيغة غير معروفة: استعملوا json. أو xml.",
    },
    "open311.unknown_service": {
        "en": "Unknown service_code {code}.",
        "fr": "service_code inconnu : {code}.",
        "ar": "service_code غير معروف: {code}.",
    },
    "open311.unknown_request": {
        "en": "No service request has the id {id}.",
        "fr": "Aucune demande ne porte l'identifiant {id}.",
        "ar": "لا يوجد طلب يحمل المعرف {id}.",
    },
    "open311.unknown_token": {
        "en": "Unknown token.",
        "fr": "Jeton inconnu.",
        "ar": "رمز غير معروف.",
    },
    "open311.invalid_api_key": {
        "en": "Missing, unknown or revoked api_key.",
        "fr": "api_key absente, inconnue ou révoquée.",
        "ar": "api_key مفقود أو غير معروف أو ملغى.",
    },
    "open311.other_administration": {
        "en": "This api_key belongs to another administration than this service's.",
        "fr": "Cette api_key appartient à une autre administration que celle de ce service.",
        "ar": "هذا المفتاح api_key تابع لإدارة غير إدارة هذه الخدمة.",
    },
    "open311.service_code_required": {
        "en": "service_code is required.",
        "fr": "service_code est obligatoire.",
        "ar": "service_code إلزامي.",
    },
    "open311.bad_datetime": {
        "en": "{name} must be a W3C datetime with a time zone, e.g. 2026-01-31T00:00:00Z.",
        "fr": "{name} doit être une date W3C avec fuseau horaire, par ex. 2026-01-31T00:00:00Z.",
        "ar": "يجب أن يكون {name} تاريخا بصيغة W3C مع المنطقة الزمنية، مثلا 2026-01-31T00:00:00Z.",
    },
    "open311.span_too_long": {
        "en": "start_date and end_date may be at most 90 days apart.",
        "fr": "start_date et end_date ne peuvent être distantes de plus de 90 jours.",
        "ar": "لا يجوز أن يتجاوز الفرق بين start_date وend_date تسعين يوما.",
    },
    "open311.bad_status": {
        "en": "status is open, closed, or both separated by a comma.",
        "fr": "status vaut open, closed, ou les deux séparés par une virgule.",
        "ar": "قيمة status هي open أو closed أو كلاهما مفصولين بفاصلة.",
    },
    "open311.page_too_deep": {
        "en": "Pages reach at most {max} requests deep: narrow start_date and end_date instead.",
        "fr": "Les pages s'arrêtent à {max} demandes : resserrez plutôt start_date et end_date.",
        "ar": "لا تتجاوز الصفحات {max} طلب: المرجو تضييق start_date وend_date بدلا من ذلك.",
    },
    "open311.start_after_end": {
        "en": "start_date comes after end_date.",
        "fr": "start_date est postérieure à end_date.",
        "ar": "start_date يأتي بعد end_date.",
    },
    "open311.bad_integer": {
        "en": "{name} must be a whole number from 1 to {max}.",
        "fr": "{name} doit être un nombre entier de 1 à {max}.",
        "ar": "يجب أن يكون {name} عددا صحيحا من 1 إلى {max}.",
    },
    "open311.bad_body": {
        "en": "The body must be form-encoded (application/x-www-form-urlencoded), without files.",
        "fr": "Le corps doit être encodé en formulaire (application/x-www-form-urlencoded), sans fichier.",
        "ar": "يجب أن يكون المحتوى مرمزا كاستمارة (application/x-www-form-urlencoded) دون ملفات.",
    },
    "open311.bad_idempotency_key": {
        "en": "Idempotency-Key is at most {max} characters.",
        "fr": "Idempotency-Key compte au plus {max} caractères.",
        "ar": "لا يتجاوز Idempotency-Key {max} حرفا.",
    },
    "open311.name_not_given": {
        "en": "Name not given",
        "fr": "Nom non communiqué",
        "ar": "الاسم غير مذكور",
    },
    "open311.datatype.boolean": {
        "en": "true or false",
        "fr": "true ou false",
        "ar": "true أو false",
    },
    "open311.datatype.date": {
        "en": "a date, YYYY-MM-DD",
        "fr": "une date, AAAA-MM-JJ",
        "ar": "تاريخ بصيغة YYYY-MM-DD",
    },
    "open311.datatype.email": {
        "en": "an email address",
        "fr": "une adresse électronique",
        "ar": "عنوان بريد إلكتروني",
    },
    "open311.datatype.phone": {
        "en": "a phone number, E.164 or Moroccan national form",
        "fr": "un numéro de téléphone, E.164 ou format national marocain",
        "ar": "رقم هاتف بصيغة E.164 أو الصيغة الوطنية المغربية",
    },
    "open311.datatype.national_id": {
        "en": "a national identity card number, e.g. AB123456",
        "fr": "un numéro de carte nationale, par ex. AB123456",
        "ar": "رقم البطاقة الوطنية، مثلا AB123456",
    },
    "open311.notice": {
        "en": "Received. The administration must answer by {due}. Keep the tracking number.",
        "fr": "Demande reçue. L'administration doit répondre avant le {due}. Gardez le numéro de suivi.",
        "ar": "تم التوصل بالطلب. يجب على الإدارة الرد قبل {due}. احتفظوا برقم التتبع.",
    },
    # Open311 `status_notes` for anyone but the owning administration's key: a fixed label
    # per state, never the administration's own words.
    "open311.status_notes.submitted": {
        "en": "Received; waiting for the administration to take it in hand.",
        "fr": "Reçue ; en attente de prise en charge par l'administration.",
        "ar": "تم التوصل بالطلب، وهو في انتظار تكفل الإدارة به.",
    },
    "open311.status_notes.in_progress": {
        "en": "Being handled by the administration.",
        "fr": "En cours de traitement par l'administration.",
        "ar": "قيد المعالجة لدى الإدارة.",
    },
    "open311.status_notes.awaiting_citizen": {
        "en": "The administration is waiting for information from the requester.",
        "fr": "L'administration attend des informations du demandeur.",
        "ar": "الإدارة في انتظار معلومات من صاحب الطلب.",
    },
    "open311.status_notes.answered": {
        "en": "The administration has answered.",
        "fr": "L'administration a répondu.",
        "ar": "أجابت الإدارة عن الطلب.",
    },
    "open311.status_notes.acknowledged": {
        "en": "Acknowledged by the administration.",
        "fr": "Prise en compte par l'administration.",
        "ar": "أخذت الإدارة علما بالطلب.",
    },
    "open311.status_notes.appealed": {
        "en": "Under review after an appeal.",
        "fr": "En cours de réexamen après un recours.",
        "ar": "قيد إعادة الدراسة بعد تظلم.",
    },
    "open311.status_notes.closed": {
        "en": "Closed.",
        "fr": "Clôturée.",
        "ar": "تم إغلاق الطلب.",
    },
    "open311.status_notes.rejected": {
        "en": "Not accepted by the administration.",
        "fr": "Non retenue par l'administration.",
        "ar": "لم تقبل الإدارة الطلب.",
    },
    # --- labels of states and actions (the apps' buttons and badges). A badge stands alone
    # beside any kind of request, so its Arabic is the verbal noun (تم الإيداع), which agrees
    # with no noun: شكاية and ملاحظة are feminine, طلب and اقتراح masculine. French labels
    # agree with demande, réclamation, observation and suggestion, all feminine.
    "state.submitted": {"en": "Submitted", "fr": "Déposée", "ar": "تم الإيداع"},
    "state.in_progress": {
        "en": "In progress",
        "fr": "En cours de traitement",
        "ar": "قيد المعالجة",
    },
    "state.awaiting_citizen": {
        "en": "Awaiting your reply",
        "fr": "En attente de votre réponse",
        "ar": "في انتظار ردكم",
    },
    "state.answered": {"en": "Answered", "fr": "Répondue", "ar": "تمت الإجابة"},
    "state.acknowledged": {
        "en": "Acknowledged",
        "fr": "Prise en compte",
        "ar": "تم الأخذ بعين الاعتبار",
    },
    "state.appealed": {"en": "Under appeal", "fr": "En recours", "ar": "قيد التظلم"},
    "state.closed": {"en": "Closed", "fr": "Clôturée", "ar": "تم الإغلاق"},
    "state.rejected": {"en": "Rejected", "fr": "Rejetée", "ar": "تم الرفض"},
    "action.start": {"en": "Start processing", "fr": "Prendre en charge", "ar": "بدء المعالجة"},
    "action.assign": {"en": "Assign", "fr": "Affecter", "ar": "إسناد"},
    "action.transfer": {
        "en": "Transfer to another administration",
        "fr": "Transférer à une autre administration",
        "ar": "إحالة على إدارة أخرى",
    },
    "action.decline_transfer": {
        "en": "Decline the transfer",
        "fr": "Refuser le transfert",
        "ar": "رفض الإحالة",
    },
    "action.request_info": {
        "en": "Ask for information",
        "fr": "Demander des informations",
        "ar": "طلب معلومات",
    },
    "action.resume": {"en": "Resume", "fr": "Reprendre", "ar": "استئناف المعالجة"},
    "action.answer": {"en": "Answer", "fr": "Répondre", "ar": "الرد"},
    "action.acknowledge": {
        "en": "Acknowledge",
        "fr": "Prendre en compte",
        "ar": "أخذ بعين الاعتبار",
    },
    "action.reject": {"en": "Reject", "fr": "Rejeter", "ar": "رفض"},
    "action.close": {"en": "Close", "fr": "Clôturer", "ar": "إغلاق"},
    "action.reopen": {"en": "Reopen", "fr": "Rouvrir", "ar": "إعادة الفتح"},
    "action.rate": {"en": "Rate the answer", "fr": "Évaluer la réponse", "ar": "تقييم الرد"},
    "action.extend_deadline": {
        "en": "Extend the deadline",
        "fr": "Prolonger le délai",
        "ar": "تمديد الأجل",
    },
    "action.auto_close": {
        "en": "Closed automatically",
        "fr": "Clôture automatique",
        "ar": "إغلاق تلقائي",
    },
    "action.message": {"en": "Send a message", "fr": "Envoyer un message", "ar": "إرسال رسالة"},
    "action.note": {
        "en": "Add an internal note",
        "fr": "Ajouter une note interne",
        "ar": "إضافة ملاحظة داخلية",
    },
    "action.attach": {"en": "Add documents", "fr": "Ajouter des documents", "ar": "إضافة وثائق"},
    "action.appeal": {"en": "Appeal", "fr": "Former un recours", "ar": "تقديم تظلم"},
    "action.decide_appeal": {
        "en": "Decide the appeal",
        "fr": "Statuer sur le recours",
        "ar": "البت في التظلم",
    },
    "action.mark_duplicate": {
        "en": "Mark as a duplicate",
        "fr": "Marquer comme doublon",
        "ar": "وضع علامة طلب مكرر",
    },
    "action.interim_reply": {
        "en": "Send an interim reply",
        "fr": "Envoyer une réponse d'attente",
        "ar": "إرسال جواب مرحلي",
    },
    "action.alert_due_soon": {
        "en": "Deadline approaching: staff warned",
        "fr": "Échéance proche : agents avertis",
        "ar": "اقتراب الأجل: تم تنبيه الموظفين",
    },
    "action.escalate": {
        "en": "Escalated: deadline missed",
        "fr": "Escaladée : délai dépassé",
        "ar": "تصعيد: تم تجاوز الأجل",
    },
    "action.submit": {"en": "Submitted", "fr": "Dépôt", "ar": "إيداع"},
    "action.anonymize": {
        "en": "Personal data removed",
        "fr": "Données personnelles effacées",
        "ar": "محو المعطيات الشخصية",
    },
    "action.attach_contact": {
        "en": "Add a contact",
        "fr": "Ajouter un contact",
        "ar": "إضافة وسيلة اتصال",
    },
    "action.rectify": {
        "en": "Correct my details",
        "fr": "Rectifier mes données",
        "ar": "تصحيح بياناتي",
    },
    # --- a state inside a sentence: "your request ... is now: {state}". The Arabic agrees with
    # طلبكم (masculine), the French with demande (feminine); both in lower case.
    "state.submitted.in_sentence": {"en": "submitted", "fr": "déposée", "ar": "مودع"},
    "state.in_progress.in_sentence": {
        "en": "in progress",
        "fr": "en cours de traitement",
        "ar": "قيد المعالجة",
    },
    "state.awaiting_citizen.in_sentence": {
        "en": "awaiting your reply",
        "fr": "en attente de votre réponse",
        "ar": "في انتظار ردكم",
    },
    "state.answered.in_sentence": {"en": "answered", "fr": "répondue", "ar": "تمت الإجابة"},
    "state.acknowledged.in_sentence": {
        "en": "acknowledged",
        "fr": "prise en compte",
        "ar": "تم أخذه بعين الاعتبار",
    },
    "state.appealed.in_sentence": {"en": "under appeal", "fr": "en recours", "ar": "قيد التظلم"},
    "state.closed.in_sentence": {"en": "closed", "fr": "clôturée", "ar": "مغلق"},
    "state.rejected.in_sentence": {"en": "rejected", "fr": "rejetée", "ar": "مرفوض"},
    # --- kinds of request: a label (the receipt), and the word inside a sentence (lower case)
    "kind.complaint": {"en": "Complaint", "fr": "Réclamation", "ar": "شكاية"},
    "kind.observation": {"en": "Observation", "fr": "Observation", "ar": "ملاحظة"},
    "kind.suggestion": {"en": "Suggestion", "fr": "Suggestion", "ar": "اقتراح"},
    "kind.information_request": {
        "en": "Information request",
        "fr": "Demande d'information",
        "ar": "طلب الحصول على المعلومات",
    },
    "kind.complaint.in_sentence": {"en": "complaint", "fr": "réclamation", "ar": "شكاية"},
    "kind.observation.in_sentence": {"en": "observation", "fr": "observation", "ar": "ملاحظة"},
    "kind.suggestion.in_sentence": {"en": "suggestion", "fr": "suggestion", "ar": "اقتراح"},
    "kind.information_request.in_sentence": {
        "en": "information request",
        "fr": "demande d'information",
        "ar": "طلب الحصول على المعلومات",
    },
    # --- the portal's own name (emails' signature, the receipt's heading)
    "portal.name": {
        "en": "National complaints portal",
        "fr": "Portail national des réclamations",
        "ar": "البوابة الوطنية للشكايات",
    },
    # --- emails (a subject and a body each) and SMS (within two segments: 320 GSM characters
    # in Latin scripts, 134 UCS-2 characters in Arabic)
    "email.signature": {
        "en": "{portal} — automatic message, please do not reply.",
        "fr": "{portal} — message automatique, merci de ne pas y répondre.",
        "ar": "{portal} — هذه رسالة آلية، المرجو عدم الرد عليها.",
    },
    "email.password_reset.subject": {
        "ar": "إعادة تعيين كلمة المرور — شكاية",
        "fr": "Réinitialisation de votre mot de passe — Chikaya",
        "en": "Reset your password — Chikaya",
    },
    "email.password_reset.body": {
        "ar": "طُلبت إعادة تعيين كلمة المرور لحسابكم {email}. لاختيار كلمة مرور جديدة، افتحوا هذا الرابط خلال {minutes} دقيقة، وهو صالح لمرة واحدة:",
        "fr": "Une réinitialisation du mot de passe de votre compte {email} a été demandée. Pour en choisir un nouveau, ouvrez ce lien dans les {minutes} minutes ; il ne sert qu'une fois :",
        "en": "A password reset was asked for your account {email}. To choose a new password, open this link within {minutes} minutes; it works once:",
    },
    "email.password_reset.ignore": {
        "ar": "إذا لم تطلبوا ذلك، تجاهلوا هذه الرسالة: كلمة المرور الحالية تبقى صالحة.",
        "fr": "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.",
        "en": "If you did not ask for it, ignore this message: your password stays unchanged.",
    },
    "email.acknowledgement.subject": {
        "en": "Acknowledgement — your request {number}",
        "fr": "Accusé de réception — votre demande {number}",
        "ar": "إيصال بالاستلام — طلبكم رقم {number}",
    },
    "email.acknowledgement.body": {
        "en": "{administration} received your request no. {number} on {date}. An answer is due by {due}. Keep this number to follow your request on {portal}.",
        "fr": "{administration} a bien reçu votre demande n° {number} le {date}. Une réponse est due avant le {due}. Gardez ce numéro pour suivre votre demande sur {portal}.",
        "ar": "توصلت {administration} بطلبكم رقم {number} بتاريخ {date}. يجب الرد عليه قبل {due}. احتفظوا بهذا الرقم لتتبع طلبكم على {portal}.",
    },
    "email.state_changed.subject": {
        "en": "Your request {number} has been updated",
        "fr": "Votre demande {number} a évolué",
        "ar": "تحيين طلبكم رقم {number}",
    },
    "email.state_changed.body": {
        "en": "Your request no. {number} with {administration} is now: {state}.",
        "fr": "Votre demande n° {number} auprès de {administration} est désormais : {state}.",
        "ar": "طلبكم رقم {number} لدى {administration} أصبح: {state}.",
    },
    "email.message.subject": {
        "en": "New message about your request {number}",
        "fr": "Nouveau message sur votre demande {number}",
        "ar": "رسالة جديدة بخصوص طلبكم رقم {number}",
    },
    "email.message.body": {
        "en": "{administration} wrote to you about your request no. {number}.",
        "fr": "{administration} vous a écrit au sujet de votre demande n° {number}.",
        "ar": "كتبت لكم {administration} بخصوص طلبكم رقم {number}.",
    },
    "email.reopen_reminder.subject": {
        "en": "Last days to reopen your request {number}",
        "fr": "Dernier délai pour rouvrir votre demande {number}",
        "ar": "آخر أجل لإعادة فتح طلبكم رقم {number}",
    },
    "email.reopen_reminder.body": {
        "en": "If the answer of {administration} to your request no. {number} does not convince you, you can reopen it before {until}.",
        "fr": "Si la réponse de {administration} à votre demande n° {number} ne vous convainc pas, vous pouvez la rouvrir avant le {until}.",
        "ar": "إذا لم يقنعكم جواب {administration} عن طلبكم رقم {number}، يمكنكم إعادة فتحه قبل {until}.",
    },
    "email.contact_changed.subject": {
        "en": "The contact details of your request {number} were changed",
        "fr": "Les coordonnées de votre demande {number} ont été modifiées",
        "ar": "تم تغيير وسيلة الاتصال الخاصة بطلبكم رقم {number}",
    },
    "email.contact_changed.body": {
        "en": "{administration} changed the contact details of your request no. {number}; its messages now go to: {contact}. If you did not ask for this, contact {administration} with this number.",
        "fr": "{administration} a modifié les coordonnées de votre demande n° {number} ; ses messages iront désormais à : {contact}. Si vous n'en êtes pas à l'origine, contactez {administration} en indiquant ce numéro.",
        "ar": "غيرت {administration} وسيلة الاتصال الخاصة بطلبكم رقم {number}، وستصل الرسائل المتعلقة به من الآن إلى: {contact}. إذا لم تطلبوا ذلك، اتصلوا بـ{administration} مع ذكر رقم طلبكم.",
    },
    "email.duplicate_answered.subject": {
        "en": "News about your request {number}",
        "fr": "Du nouveau sur votre demande {number}",
        "ar": "مستجدات بخصوص طلبكم رقم {number}",
    },
    "email.duplicate_answered.body": {
        "en": "Your request no. {number} was closed because {administration} was already handling the same matter. {administration} has now answered on that matter; contact it with your number if you need the answer.",
        "fr": "Votre demande n° {number} a été clôturée car {administration} traitait déjà la même affaire. {administration} vient d'y répondre ; contactez-la en indiquant votre numéro si vous avez besoin de la réponse.",
        "ar": "تم إغلاق طلبكم رقم {number} لأن {administration} كانت تعالج نفس الموضوع. وقد أجابت {administration} الآن بخصوص هذا الموضوع؛ اتصلوا بها مع ذكر رقم طلبكم إذا احتجتم إلى الجواب.",
    },
    "sms.duplicate_answered": {
        "en": "Chikaya: {administration} has answered the matter of your request {number}.",
        "fr": "Chikaya: {administration} a répondu sur l'affaire de votre demande {number}.",
        "ar": "شكاية: أجابت {administration} بخصوص موضوع طلبكم {number}.",
    },
    "email.appeal_filed.subject": {
        "en": "Appeal: complaint {number} awaits your decision",
        "fr": "Recours : la réclamation {number} attend votre décision",
        "ar": "تظلم: الشكاية رقم {number} في انتظار قراركم",
    },
    "email.appeal_filed.body": {
        "en": "The citizen appealed the answer of {administration} to complaint no. {number}; it is in the national queue (state 'Under appeal') until you dismiss the appeal or send the complaint back.",
        "fr": "Le citoyen a formé un recours contre la réponse de {administration} à la réclamation n° {number} ; elle est dans la file nationale (état « En recours ») jusqu'à ce que vous rejetiez le recours ou renvoyiez la réclamation.",
        "ar": "تظلم المواطن من جواب {administration} على الشكاية رقم {number}؛ وهي في قائمة الانتظار الوطنية (حالة «قيد التظلم») إلى أن تقرروا رفض التظلم أو إرجاع الشكاية.",
    },
    "email.transfer_declined.subject": {
        "en": "Transfer declined: request {number} awaits your routing",
        "fr": "Transfert refusé : la demande {number} attend votre orientation",
        "ar": "رفض الإحالة: الطلب رقم {number} في انتظار توجيهكم",
    },
    "email.transfer_declined.body": {
        "en": "{administration} declined the transfer of request no. {number}; it is in the national queue until you route it. Their reason:",
        "fr": "{administration} a refusé le transfert de la demande n° {number} ; elle est dans la file nationale jusqu'à ce que vous l'orientiez. Motif invoqué :",
        "ar": "رفضت {administration} إحالة الطلب رقم {number}؛ وهو في قائمة الانتظار الوطنية إلى أن تقوموا بتوجيهه. السبب المقدم:",
    },
    "email.new_request.subject": {
        "en": "New request {number}",
        "fr": "Nouvelle demande {number}",
        "ar": "طلب جديد رقم {number}",
    },
    "email.new_request.body": {
        "en": "A new request no. {number} ({kind}) reached {administration}; an answer is due by {due}.",
        "fr": "Une nouvelle demande n° {number} ({kind}) est arrivée à {administration} ; réponse due avant le {due}.",
        "ar": "وصل طلب جديد رقم {number} ({kind}) إلى {administration}، يجب الرد عليه قبل {due}.",
    },
    "email.due_soon.subject": {
        "en": "Request {number}: answer due by {due}",
        "fr": "Demande {number} : réponse due avant le {due}",
        "ar": "الطلب رقم {number}: الجواب مستحق قبل {due}",
    },
    "email.due_soon.body": {
        "en": "Request no. {number} ({kind}) to {administration} must be answered by {due}, in {days} days or less. Please answer it in time.",
        "fr": "La demande n° {number} ({kind}) adressée à {administration} doit recevoir une réponse avant le {due}, dans {days} jours au plus. Merci d'y répondre à temps.",
        "ar": "يجب الرد على الطلب رقم {number} ({kind}) الموجه إلى {administration} قبل {due}، أي في أجل لا يتعدى {days} أيام. المرجو الرد عليه في الوقت المحدد.",
    },
    "email.escalated.subject": {
        "en": "Deadline missed: request {number}",
        "fr": "Délai dépassé : demande {number}",
        "ar": "تجاوز الأجل: الطلب رقم {number}",
    },
    "email.escalated.body": {
        "en": "Request no. {number} ({kind}) to {administration} was due by {due} and has not been answered. It is escalated to the administration's supervisors.",
        "fr": "La demande n° {number} ({kind}) adressée à {administration} devait recevoir une réponse avant le {due} et n'a pas été traitée. Elle est escaladée aux superviseurs de l'administration.",
        "ar": "كان يجب الرد على الطلب رقم {number} ({kind}) الموجه إلى {administration} قبل {due}، ولم يتم الرد عليه. تم تصعيده إلى المشرفين على الإدارة.",
    },
    "email.escalated_national.subject": {
        "en": "Escalated to the national level: request {number}",
        "fr": "Escaladée au niveau national : demande {number}",
        "ar": "تصعيد إلى المستوى الوطني: الطلب رقم {number}",
    },
    "email.escalated_national.body": {
        "en": "Request no. {number} ({kind}) to {administration} was due by {due} and is still unanswered {days} days later. It is escalated to the national administrators.",
        "fr": "La demande n° {number} ({kind}) adressée à {administration} devait recevoir une réponse avant le {due} et reste sans réponse {days} jours plus tard. Elle est escaladée aux administrateurs nationaux.",
        "ar": "كان يجب الرد على الطلب رقم {number} ({kind}) الموجه إلى {administration} قبل {due}، ولا يزال دون جواب بعد {days} يوما. تم تصعيده إلى المسؤولين على المستوى الوطني.",
    },
    "email.interim_reply.subject": {
        "en": "About the answer to your request {number}",
        "fr": "Au sujet de la réponse à votre demande {number}",
        "ar": "بخصوص الجواب عن طلبكم رقم {number}",
    },
    "email.interim_reply.body": {
        "en": "{administration} is still working on your request no. {number} and expects to answer it by {expected}.",
        "fr": "{administration} traite toujours votre demande n° {number} et prévoit d'y répondre avant le {expected}.",
        "ar": "لا تزال {administration} تعالج طلبكم رقم {number}، وتتوقع الرد عليه قبل {expected}.",
    },
    "sms.interim_reply": {
        "en": "Chikaya: {administration} expects to answer your request {number} by {expected}.",
        "fr": "Chikaya: {administration} prévoit de répondre à votre demande {number} avant le {expected}.",
        "ar": "شكاية: تتوقع {administration} الرد على طلبكم {number} قبل {expected}.",
    },
    "sms.acknowledgement": {
        "en": "Chikaya: request {number} received. Answer due by {due}.",
        "fr": "Chikaya: demande {number} reçue. Réponse avant le {due}.",
        "ar": "شكاية: توصلنا بطلبكم رقم {number}. الجواب قبل {due}.",
    },
    "sms.state_changed": {
        "en": "Chikaya: your request {number} is {state}.",
        "fr": "Chikaya: votre demande {number} est {state}.",
        "ar": "شكاية: طلبكم {number} أصبح: {state}.",
    },
    "sms.message": {
        "en": "Chikaya: new message about your request {number}.",
        "fr": "Chikaya: nouveau message sur votre demande {number}.",
        "ar": "شكاية: رسالة جديدة بخصوص طلبكم {number}.",
    },
    "email.one_time_code.subject": {
        "en": "Your verification code: {code}",
        "fr": "Votre code de vérification : {code}",
        "ar": "رمز التحقق الخاص بكم: {code}",
    },
    "email.one_time_code.body": {
        "en": "Your verification code is {code}. It is valid for {minutes} minutes and serves once. Never give it to anyone: no official will ever ask you for it. If you did not ask for it, ignore this message.",
        "fr": "Votre code de vérification est {code}. Il est valable {minutes} minutes et ne sert qu'une fois. Ne le communiquez à personne : aucun agent ne vous le demandera. Si vous ne l'avez pas demandé, ignorez ce message.",
        "ar": "رمز التحقق الخاص بكم هو {code}، صالح لمدة {minutes} دقيقة ولمرة واحدة. لا تعطوه لأي أحد: لن يطلبه منكم أي موظف. إذا لم تطلبوه، تجاهلوا هذه الرسالة.",
    },
    "sms.one_time_code": {
        "en": "Chikaya: your verification code is {code} (valid {minutes} min). Never share it.",
        "fr": "Chikaya: votre code de vérification est {code} (valable {minutes} min). Ne le partagez jamais.",
        "ar": "شكاية: رمز التحقق الخاص بكم هو {code} (صالح {minutes} دقيقة). لا تشاركوه مع أحد.",
    },
    "email.contact_corrected.subject": {
        "en": "The contact details of your request {number} were changed",
        "fr": "Les coordonnées de votre demande {number} ont été modifiées",
        "ar": "تم تغيير وسيلة الاتصال الخاصة بطلبكم رقم {number}",
    },
    "email.contact_corrected.body": {
        "en": "The contact details of your request no. {number} to {administration} were corrected with a code sent to the new contact; its messages now go to: {contact}. If you did not do this, contact {administration} with this number.",
        "fr": "Les coordonnées de votre demande n° {number} auprès de {administration} ont été rectifiées avec un code envoyé au nouveau contact ; ses messages iront désormais à : {contact}. Si vous n'en êtes pas à l'origine, contactez {administration} en indiquant ce numéro.",
        "ar": "تم تصحيح وسيلة الاتصال الخاصة بطلبكم رقم {number} لدى {administration} برمز أُرسل إلى وسيلة الاتصال الجديدة، وستصل الرسائل المتعلقة به من الآن إلى: {contact}. إذا لم تقوموا بذلك، اتصلوا بـ{administration} مع ذكر رقم طلبكم.",
    },
    "sms.contact_corrected": {
        "en": "Chikaya: the contact of your request {number} was corrected to {contact}. Not you? Contact {administration}.",
        "fr": "Chikaya: le contact de votre demande {number} a été rectifié en {contact}. Pas vous ? Contactez {administration}.",
        "ar": "شكاية: تم تصحيح وسيلة الاتصال لطلبكم {number} إلى {contact}. لستم من قام بذلك؟ اتصلوا بـ{administration}.",
    },
    "sms.contact_changed": {
        "en": "Chikaya: the contact of your request {number} was changed to {contact}.",
        "fr": "Chikaya: le contact de votre demande {number} a été remplacé par {contact}.",
        "ar": "شكاية: تم تغيير وسيلة الاتصال لطلبكم {number} إلى {contact}.",
    },
    "sms.reopen_reminder": {
        "en": "Chikaya: you can reopen request {number} before {until}.",
        "fr": "Chikaya: vous pouvez rouvrir la demande {number} avant le {until}.",
        "ar": "شكاية: يمكنكم إعادة فتح طلبكم {number} قبل {until}.",
    },
    # --- the acknowledgement receipt (a PDF in the three languages at once)
    "receipt.title": {
        "en": "Acknowledgement receipt",
        "fr": "Accusé de réception",
        "ar": "إيصال بالاستلام",
    },
    "receipt.kind": {"en": "Kind", "fr": "Nature", "ar": "نوع الطلب"},
    "receipt.administration": {"en": "Administration", "fr": "Administration", "ar": "الإدارة"},
    "receipt.service": {"en": "Service", "fr": "Service", "ar": "الخدمة"},
    "receipt.received": {"en": "Received on", "fr": "Reçue le", "ar": "تاريخ التوصل"},
    "receipt.registered": {"en": "Registered on", "fr": "Enregistrée le", "ar": "تاريخ التسجيل"},
    "receipt.due": {"en": "Answer due by", "fr": "Réponse due avant le", "ar": "أجل الجواب"},
    "receipt.code": {"en": "Verification code", "fr": "Code de vérification", "ar": "رمز التحقق"},
    # --- the privacy notice (law 09-08), `GET /api/v1/privacy`
    "privacy.title": {
        "en": "Personal data protection notice",
        "fr": "Notice de protection des données à caractère personnel",
        "ar": "إشعار حماية المعطيات ذات الطابع الشخصي",
    },
    "privacy.controller": {
        "en": "Ministry of Digital Transition and Administrative Reform, operator of the Chikaya portal",
        "fr": "Ministère de la Transition numérique et de la Réforme de l'administration, opérateur du portail Chikaya",
        "ar": "وزارة الانتقال الرقمي وإصلاح الإدارة، المسؤولة عن تشغيل بوابة شكاية",
    },
    "privacy.purpose.handling": {
        "en": "Receiving your complaint, observation, suggestion or information request, sending it to the administration concerned and following it up until it is answered.",
        "fr": "Recevoir votre réclamation, observation, suggestion ou demande d'information, la transmettre à l'administration concernée et la suivre jusqu'à sa réponse.",
        "ar": "تلقي شكايتكم أو ملاحظتكم أو اقتراحكم أو طلب حصولكم على المعلومات، وإحالته على الإدارة المعنية وتتبعه إلى حين الرد عليه.",
    },
    "privacy.purpose.contact": {
        "en": "Telling you, by email or SMS, that your request was received, how it progresses and what the answer is.",
        "fr": "Vous informer, par courriel ou SMS, de la réception de votre demande, de son avancement et de la réponse.",
        "ar": "إخباركم عبر البريد الإلكتروني أو الرسائل القصيرة بتسلم طلبكم وبمآله وبالرد عليه.",
    },
    "privacy.purpose.statistics": {
        "en": "Public statistics on how administrations answer, computed without any personal data.",
        "fr": "Des statistiques publiques sur le traitement par les administrations, établies sans aucune donnée personnelle.",
        "ar": "إحصائيات عمومية حول معالجة الإدارات للطلبات، تُعد دون أي معطى شخصي.",
    },
    "privacy.basis.law_09_08": {
        "en": "Law 09-08 on the protection of individuals with regard to the processing of personal data, and its implementing decree.",
        "fr": "Loi 09-08 relative à la protection des personnes physiques à l'égard du traitement des données à caractère personnel, et son décret d'application.",
        "ar": "القانون رقم 09.08 المتعلق بحماية الأشخاص الذاتيين تجاه معالجة المعطيات ذات الطابع الشخصي، ومرسومه التطبيقي.",
    },
    "privacy.basis.decree_2_17_265": {
        "en": "Decree 2-17-265 on receiving and handling the complaints, observations and suggestions of users of public services: the public task of the processing.",
        "fr": "Décret 2-17-265 relatif à la réception et au traitement des remarques, suggestions et réclamations des usagers : la mission de service public du traitement.",
        "ar": "المرسوم رقم 2.17.265 المتعلق بتلقي ملاحظات المرتفقين واقتراحاتهم وشكاياتهم وتتبعها ومعالجتها: المهمة العمومية التي تقوم عليها المعالجة.",
    },
    "privacy.basis.law_31_13": {
        "en": "Law 31-13 on the right of access to information, for information requests.",
        "fr": "Loi 31-13 relative au droit d'accès à l'information, pour les demandes d'information.",
        "ar": "القانون رقم 31.13 المتعلق بالحق في الحصول على المعلومات، بالنسبة لطلبات الحصول على المعلومات.",
    },
    "privacy.retention": {
        "en": "Your personal data is kept while your request is handled, then {days} days after it is closed or rejected; it is then erased (name, contacts, texts, messages, documents). Only anonymous facts (kind, administration, dates, state, rating) remain, for statistics and receipt checks.",
        "fr": "Vos données personnelles sont conservées pendant le traitement de votre demande, puis {days} jours après sa clôture ou son rejet ; elles sont ensuite effacées (nom, coordonnées, textes, messages, documents). Seuls des faits anonymes (type, administration, dates, état, note) restent, pour les statistiques et la vérification des récépissés.",
        "ar": "تُحفظ معطياتكم الشخصية طيلة معالجة طلبكم، ثم {days} يوما بعد إغلاقه أو رفضه، وتُمحى بعد ذلك (الاسم ووسائل الاتصال والنصوص والرسائل والوثائق). ولا تبقى إلا معطيات مجهولة الهوية (النوع والإدارة والتواريخ والحالة والتقييم) لأغراض الإحصاء والتحقق من الإيصالات.",
    },
    "privacy.recipient.administration": {
        "en": "The administration your request concerns (and the one it is transferred to), its staff entitled to handle it.",
        "fr": "L'administration concernée par votre demande (et celle à laquelle elle est transférée), ses agents habilités à la traiter.",
        "ar": "الإدارة المعنية بطلبكم (والإدارة التي يُحال عليها)، وموظفوها المؤهلون لمعالجته.",
    },
    "privacy.recipient.oversight": {
        "en": "The national oversight of the portal, for the follow-up of deadlines and quality.",
        "fr": "La supervision nationale du portail, pour le suivi des délais et de la qualité.",
        "ar": "الإشراف الوطني على البوابة، لتتبع الآجال والجودة.",
    },
    "privacy.recipient.processors": {
        "en": "Processors that send emails and SMS on the portal's behalf, for that purpose only.",
        "fr": "Les sous-traitants qui envoient les courriels et SMS pour le compte du portail, à cette seule fin.",
        "ar": "المناولون الذين يرسلون الرسائل الإلكترونية والقصيرة لحساب البوابة، لهذا الغرض وحده.",
    },
    "privacy.right.access": {
        "en": "Access: obtain your requests, their history, messages and documents, and a copy of all of them.",
        "fr": "Accès : obtenir vos demandes, leur historique, leurs messages et documents, et une copie de l'ensemble.",
        "ar": "الولوج: الحصول على طلباتكم وتاريخها ورسائلها ووثائقها، ونسخة منها جميعا.",
    },
    "privacy.right.rectification": {
        "en": "Rectification: correct your name and your email or phone.",
        "fr": "Rectification : corriger votre nom et votre courriel ou téléphone.",
        "ar": "التصحيح: تصحيح اسمكم وبريدكم الإلكتروني أو هاتفكم.",
    },
    "privacy.right.objection": {
        "en": "Objection: object, for legitimate reasons, to the processing of your data; withdrawing a request stops its handling.",
        "fr": "Opposition : vous opposer, pour des motifs légitimes, au traitement de vos données ; retirer une demande en arrête le traitement.",
        "ar": "التعرض: التعرض، لأسباب مشروعة، على معالجة معطياتكم؛ وسحب الطلب يوقف معالجته.",
    },
    "privacy.how": {
        "en": "Sign in with a one-time code sent to your email or phone (POST /api/v1/citizens/otp, then /api/v1/citizens/session) or open a request with its tracking number, then use the operations listed with each right; or write to {email}{postal}. You may also refer a matter to the CNDP (www.cndp.ma).",
        "fr": "Connectez-vous avec un code à usage unique envoyé à votre courriel ou téléphone (POST /api/v1/citizens/otp, puis /api/v1/citizens/session) ou ouvrez une demande avec son numéro de suivi, puis utilisez les opérations indiquées pour chaque droit ; ou écrivez à {email}{postal}. Vous pouvez aussi saisir la CNDP (www.cndp.ma).",
        "ar": "سجلوا الدخول برمز يُستعمل مرة واحدة يُرسل إلى بريدكم الإلكتروني أو هاتفكم (POST /api/v1/citizens/otp ثم /api/v1/citizens/session) أو افتحوا طلبا برقم تتبعه، ثم استعملوا العمليات المبينة مع كل حق؛ أو راسلوا {email}{postal}. ويمكنكم أيضا رفع الأمر إلى اللجنة الوطنية لمراقبة حماية المعطيات ذات الطابع الشخصي (www.cndp.ma).",
    },
    "privacy.how.postal": {
        "en": ", or by post: {address}",
        "fr": ", ou par courrier : {address}",
        "ar": "، أو بالبريد: {address}",
    },
    "receipt.law": {
        "en": "The administration must answer within the deadline above (decree 2-17-265).",
        "fr": "L'administration doit répondre dans le délai ci-dessus (décret 2-17-265).",
        "ar": "يجب على الإدارة الرد داخل الأجل المحدد أعلاه طبقا للمرسوم رقم 2.17.265",
    },
    "receipt.verify": {
        "en": "To check this receipt:",
        "fr": "Pour vérifier ce reçu :",
        "ar": "للتحقق من صحة هذا الإيصال:",
    },
    # --- field errors
    "field.required": {
        "en": "This field is required.",
        "fr": "Ce champ est obligatoire.",
        "ar": "هذا الحقل إلزامي.",
    },
    "field.verification_required": {
        "en": "This service needs the code sent to your email or phone.",
        "fr": "Ce service exige le code envoyé à votre courriel ou téléphone.",
        "ar": "تتطلب هذه الخدمة الرمز المرسل إلى بريدك الإلكتروني أو هاتفك.",
    },
    "field.code_invalid": {
        "en": "This code is wrong, expired or already used.",
        "fr": "Ce code est erroné, expiré ou déjà utilisé.",
        "ar": "هذا الرمز خاطئ أو منتهي الصلاحية أو سبق استعماله.",
    },
    "field.unknown": {
        "en": "Unknown field.",
        "fr": "Champ inconnu.",
        "ar": "حقل غير معروف.",
    },
    "field.invalid": {"en": "Invalid value.", "fr": "Valeur invalide.", "ar": "قيمة غير صالحة."},
    "field.too_long": {
        "en": "At most {max} characters.",
        "fr": "{max} caractères au maximum.",
        "ar": "{max} حرفا على الأكثر.",
    },
    "field.too_short": {
        "en": "At least {min} characters.",
        "fr": "{min} caractères au minimum.",
        "ar": "{min} أحرف على الأقل.",
    },
    "field.not_a_string": {
        "en": "Must be a text.",
        "fr": "Doit être un texte.",
        "ar": "يجب أن يكون نصا.",
    },
    "field.not_a_number": {
        "en": "Must be a number.",
        "fr": "Doit être un nombre.",
        "ar": "يجب أن يكون رقما.",
    },
    "field.not_an_integer": {
        "en": "Must be a whole number.",
        "fr": "Doit être un nombre entier.",
        "ar": "يجب أن يكون عددا صحيحا.",
    },
    "field.not_a_boolean": {
        "en": "Must be true or false.",
        "fr": "Doit valoir true ou false.",
        "ar": "يجب أن تكون القيمة true أو false.",
    },
    "field.not_a_date": {
        "en": "Must be a date (YYYY-MM-DD).",
        "fr": "Doit être une date (AAAA-MM-JJ).",
        "ar": "يجب أن يكون تاريخا (YYYY-MM-DD).",
    },
    "field.not_a_datetime": {
        "en": "Must be a date and time with a time zone (ISO 8601).",
        "fr": "Doit être une date et heure avec fuseau horaire (ISO 8601).",
        "ar": "يجب أن يكون تاريخا ووقتا مع المنطقة الزمنية (ISO 8601).",
    },
    "field.not_in_choices": {
        "en": "Must be one of: {choices}.",
        "fr": "Doit être l'une des valeurs : {choices}.",
        "ar": "يجب أن تكون إحدى القيم: {choices}.",
    },
    "field.not_a_list": {
        "en": "Must be a list of values.",
        "fr": "Doit être une liste de valeurs.",
        "ar": "يجب أن تكون لائحة من القيم.",
    },
    "field.invalid_email": {
        "en": "Not a valid email address.",
        "fr": "Adresse électronique invalide.",
        "ar": "عنوان بريد إلكتروني غير صالح.",
    },
    "field.invalid_phone": {
        "en": "Not a valid phone number (use +212… or 06…/07…).",
        "fr": "Numéro de téléphone invalide (utilisez +212… ou 06…/07…).",
        "ar": "رقم هاتف غير صالح (استعمل ‎+212… أو ‎06…/07…).",
    },
    "field.invalid_national_id": {
        "en": "Not a valid national identity card number (e.g. AB123456).",
        "fr": "Numéro de carte nationale invalide (par ex. AB123456).",
        "ar": "رقم بطاقة التعريف الوطنية غير صالح (مثلا AB123456).",
    },
    "field.service_for_attributes": {
        "en": "Attributes belong to a service: give the service's code.",
        "fr": "Les attributs appartiennent à un service : indiquez le code du service.",
        "ar": "الخصائص تابعة لخدمة: أدخلوا رمز الخدمة.",
    },
    "field.service_needs_administration": {
        "en": "A service is chosen within an administration: give the administration too.",
        "fr": "Un service se choisit dans une administration : indiquez aussi l'administration.",
        "ar": "تختار الخدمة داخل إدارة: المرجو تحديد الإدارة أيضا.",
    },
    "field.after_to": {
        "en": "The start of the period comes after its end.",
        "fr": "Le début de la période est postérieur à sa fin.",
        "ar": "بداية الفترة تأتي بعد نهايتها.",
    },
    "field.location_incomplete": {
        "en": "Give an address, or both lat and long.",
        "fr": "Indiquez une adresse, ou bien lat et long ensemble.",
        "ar": "أدخلوا عنوانا، أو خطي العرض والطول معا.",
    },
    "field.contact_required": {
        "en": "Give an email address or a phone number so that you can follow the request.",
        "fr": "Indiquez une adresse électronique ou un numéro de téléphone pour suivre la demande.",
        "ar": "المرجو إدخال بريد إلكتروني أو رقم هاتف لتتبع الطلب.",
    },
    "field.kind_not_accepted": {
        "en": "This service does not accept this kind of request (accepted: {accepted}).",
        "fr": "Ce service n'accepte pas ce type de demande (acceptés : {accepted}).",
        "ar": "هذه الخدمة لا تقبل هذا النوع من الطلبات (المقبول: {accepted}).",
    },
    "field.unknown_administration": {
        "en": "No administration has this code.",
        "fr": "Aucune administration n'a ce code.",
        "ar": "لا توجد إدارة بهذا الرمز.",
    },
    "field.unknown_service": {
        "en": "This administration has no service with this code.",
        "fr": "Cette administration n'a pas de service avec ce code.",
        "ar": "لا توجد لدى هذه الإدارة خدمة بهذا الرمز.",
    },
    "field.channel_not_allowed": {
        "en": "This channel is not allowed for you (allowed: {allowed}).",
        "fr": "Ce canal ne vous est pas permis (permis : {allowed}).",
        "ar": "هذه القناة غير مسموح بها لك (المسموح: {allowed}).",
    },
    "field.operator_only": {
        "en": "Only call-centre and mail-room operators may set this field.",
        "fr": "Seuls les opérateurs du centre d'appel et du bureau d'ordre peuvent renseigner ce champ.",
        "ar": "لا يمكن ملء هذا الحقل إلا من طرف أعوان مركز الاتصال ومكتب الضبط.",
    },
    "field.in_future": {
        "en": "Cannot be in the future.",
        "fr": "Ne peut pas être dans le futur.",
        "ar": "لا يمكن أن يكون في المستقبل.",
    },
    "field.not_in_future": {
        "en": "Must be in the future.",
        "fr": "Doit être dans le futur.",
        "ar": "يجب أن يكون في المستقبل.",
    },
    "field.not_an_assignable_agent": {
        "en": "Not an active staff member of this request's administration.",
        "fr": "N'est pas un agent actif de l'administration de cette demande.",
        "ar": "ليس موظفا نشطا في الإدارة المعنية بهذا الطلب.",
    },
    "field.not_a_request_here": {
        "en": "No request of this administration has this tracking number.",
        "fr": "Aucune demande de cette administration ne porte ce numéro de suivi.",
        "ar": "لا يوجد طلب لدى هذه الإدارة يحمل رقم التتبع هذا.",
    },
    "field.same_request": {
        "en": "A request cannot be a duplicate of itself.",
        "fr": "Une demande ne peut pas être le doublon d'elle-même.",
        "ar": "لا يمكن أن يكون الطلب مكررا لنفسه.",
    },
    "field.already_duplicate": {
        "en": "That request is itself a duplicate: name its original.",
        "fr": "Cette demande est elle-même un doublon : indiquez sa demande d'origine.",
        "ar": "هذا الطلب نفسه مكرر: اذكروا الطلب الأصلي.",
    },
    "field.same_administration": {
        "en": "The request is already with this administration.",
        "fr": "La demande est déjà auprès de cette administration.",
        "ar": "الطلب موجود أصلا لدى هذه الإدارة.",
    },
    "field.information_request_only": {
        "en": "Only for information requests.",
        "fr": "Réservé aux demandes d'information.",
        "ar": "خاص بطلبات الحصول على المعلومات.",
    },
    "field.legal_ground_required": {
        "en": "A refusal, even partial, states its legal ground.",
        "fr": "Un refus, même partiel, indique son fondement légal.",
        "ar": "يجب أن يتضمن الرفض، ولو جزئيا، سنده القانوني.",
    },
    "extension_already_used.title": {
        "en": "Deadline already extended",
        "fr": "Délai déjà prorogé",
        "ar": "سبق تمديد الأجل",
    },
    "extension_already_used.detail": {
        "en": "The answer deadline of an information request can be extended once only.",
        "fr": "Le délai de réponse d'une demande d'information ne peut être prorogé qu'une fois.",
        "ar": "لا يمكن تمديد أجل الرد على طلب الحصول على المعلومات إلا مرة واحدة.",
    },
    "urgent_not_extensible.title": {
        "en": "Urgent requests cannot be extended",
        "fr": "Une demande urgente ne se proroge pas",
        "ar": "لا يمكن تمديد أجل الطلب المستعجل",
    },
    "urgent_not_extensible.detail": {
        "en": "An urgent information request is answered within its 3 days; the 20-day extension of law 31-13 does not apply to it.",
        "fr": "Une demande d'information urgente reçoit sa réponse dans les 3 jours ; la prorogation de 20 jours de la loi 31-13 ne s'y applique pas.",
        "ar": "يجاب عن طلب الحصول على المعلومات المستعجل داخل أجل 3 أيام؛ ولا يسري عليه تمديد العشرين يوما المنصوص عليه في القانون 31-13.",
    },
    "not_transferred.title": {
        "en": "No transfer to decline",
        "fr": "Aucun transfert à refuser",
        "ar": "لا توجد إحالة لرفضها",
    },
    "not_transferred.detail": {
        "en": "Only the administration a request was transferred to may decline the transfer, once; a request filed with it directly is handled or rejected there.",
        "fr": "Seule l'administration à laquelle une demande a été transférée peut refuser le transfert, une fois ; une demande déposée directement auprès d'elle y est traitée ou rejetée.",
        "ar": "لا يمكن رفض الإحالة إلا من طرف الإدارة التي أحيل إليها الطلب، ولمرة واحدة؛ أما الطلب المودع لديها مباشرة فيعالج أو يرفض لديها.",
    },
    "appeal_already_made.title": {
        "en": "Already appealed",
        "fr": "Recours déjà formé",
        "ar": "سبق تقديم التظلم",
    },
    "appeal_already_made.detail": {
        "en": "This answer has already been appealed and the national administrators have decided; a new answer may be appealed again.",
        "fr": "Cette réponse a déjà fait l'objet d'un recours tranché par les administrateurs nationaux ; une nouvelle réponse pourra faire l'objet d'un recours.",
        "ar": "سبق التظلم من هذا الجواب وبت فيه المسؤولون الوطنيون؛ ويمكن التظلم من أي جواب جديد.",
    },
    "appeal_not_open.title": {
        "en": "No appeal possible",
        "fr": "Recours impossible",
        "ar": "لا يمكن تقديم الشكاية",
    },
    "appeal_not_open.detail": {
        "en": "An appeal is open for {days} days after a refusal, a partial answer, or a deadline passed without answer.",
        "fr": "Un recours est ouvert {days} jours après un refus, une réponse partielle ou un délai expiré sans réponse.",
        "ar": "يمكن تقديم الشكاية داخل أجل {days} يوما بعد الرفض أو الجواب الجزئي أو انقضاء الأجل دون جواب.",
    },
    "field.https_required": {
        "en": "Must be an https:// address.",
        "fr": "Doit être une adresse https://.",
        "ar": "يجب أن يكون عنوانا يبدأ بـ https://.",
    },
    "field.invisible_text": {
        "en": "Must contain visible characters.",
        "fr": "Doit contenir des caractères visibles.",
        "ar": "يجب أن يحتوي على أحرف مرئية.",
    },
    "field.invalid_url": {
        "en": "Not a valid web address.",
        "fr": "Adresse web invalide.",
        "ar": "عنوان ويب غير صالح.",
    },
    "field.url_credentials": {
        "en": "The address must not contain a user name or password.",
        "fr": "L'adresse ne doit contenir ni nom d'utilisateur ni mot de passe.",
        "ar": "يجب ألا يتضمن العنوان اسم مستخدم أو كلمة مرور.",
    },
    "field.host_unresolvable": {
        "en": "This host name could not be resolved.",
        "fr": "Ce nom d'hôte est introuvable.",
        "ar": "تعذر العثور على اسم المضيف هذا.",
    },
    "field.address_not_public": {
        "en": "The address must lead to a public internet host (no private, local or reserved address).",
        "fr": "L'adresse doit mener à un hôte public d'internet (aucune adresse privée, locale ou réservée).",
        "ar": "يجب أن يؤدي العنوان إلى مضيف عمومي على الإنترنت (لا عناوين خاصة أو محلية أو محجوزة).",
    },
    "field.invalid_cursor": {
        "en": "Invalid pagination cursor.",
        "fr": "Curseur de pagination invalide.",
        "ar": "مؤشر ترقيم غير صالح.",
    },
    "field.invalid_tracking_number": {
        "en": "Not a valid tracking number.",
        "fr": "Numéro de suivi invalide.",
        "ar": "رقم تتبع غير صالح.",
    },
    "field.unknown_country": {
        "en": "Not a country code (ISO 3166-1 alpha-2, e.g. MA, FR).",
        "fr": "Code de pays inconnu (ISO 3166-1 alpha-2, par ex. MA, FR).",
        "ar": "رمز بلد غير معروف (ISO 3166-1 alpha-2، مثلا MA أو FR).",
    },
    "field.too_many": {
        "en": "At most {max} items.",
        "fr": "Au plus {max} éléments.",
        "ar": "{max} عنصرا على الأكثر.",
    },
    "field.too_small": {
        "en": "Must be at least {min}.",
        "fr": "Doit valoir au moins {min}.",
        "ar": "يجب ألا يقل عن {min}.",
    },
    "field.too_large": {
        "en": "Must be at most {max}.",
        "fr": "Doit valoir au plus {max}.",
        "ar": "يجب ألا يتجاوز {max}.",
    },
    "field.out_of_range": {
        "en": "Must be between {min} and {max}.",
        "fr": "Doit être compris entre {min} et {max}.",
        "ar": "يجب أن يكون بين {min} و{max}.",
    },
    "field.password_too_weak": {
        "en": "Too easy to guess: use a passphrase of several words, not a repeated pattern nor your email.",
        "fr": "Trop facile à deviner : utilisez une phrase de passe de plusieurs mots, ni un motif répété ni votre adresse électronique.",
        "ar": "سهلة التخمين: استعملوا عبارة مرور من عدة كلمات، لا نمطا مكررا ولا بريدكم الإلكتروني.",
    },
    "template_not_found.title": {
        "en": "Canned response not found",
        "fr": "Réponse type introuvable",
        "ar": "نموذج الجواب غير موجود",
    },
    "template_not_found.detail": {
        "en": "Your administration has no canned response with this id.",
        "fr": "Votre administration n'a aucune réponse type portant cet identifiant.",
        "ar": "لا تتوفر إدارتكم على نموذج جواب بهذا المعرف.",
    },
    "field.unknown_placeholder": {
        "en": "Unknown placeholder {{{name}}}: use only {allowed}.",
        "fr": "Champ de remplacement inconnu {{{name}}} : utilisez uniquement {allowed}.",
        "ar": "متغير غير معروف {{{name}}}: استعملوا فقط {allowed}.",
    },
    "field.invalid_placeholder": {
        "en": "Unbalanced braces: placeholders are {allowed}; write {{{{ and }}}} for a brace.",
        "fr": "Accolades déséquilibrées : les champs de remplacement sont {allowed} ; écrivez {{{{ et }}}} pour une accolade.",
        "ar": "أقواس غير متوازنة: المتغيرات هي {allowed}؛ اكتبوا {{{{ و}}}} للحصول على قوس.",
    },
    "field.unknown_template": {
        "en": "The request's administration has no canned response with this code.",
        "fr": "L'administration de la demande n'a aucune réponse type portant ce code.",
        "ar": "لا تتوفر إدارة الطلب على نموذج جواب بهذا الرمز.",
    },
    "field.template_or_text": {
        "en": "Give either a template or a {field}, not both.",
        "fr": "Donnez soit un modèle, soit un {field}, pas les deux.",
        "ar": "قدموا إما نموذجا أو {field}، وليس الاثنين معا.",
    },
    "field.code_taken": {
        "en": "This code is already used in the administration.",
        "fr": "Ce code est déjà utilisé dans l'administration.",
        "ar": "هذا الرمز مستعمل من قبل في الإدارة.",
    },
    "field.invalid_json": {
        "en": "The body is not valid JSON.",
        "fr": "Le corps n'est pas un JSON valide.",
        "ar": "المحتوى ليس JSON صالحا.",
    },
}
