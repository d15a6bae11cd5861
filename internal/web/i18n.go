package web

// messages is the console's message catalog, one map per language. Every
// string a page shows comes from here; a test checks both languages have
// the same keys.
var messages = map[string]map[string]string{
	"en": {
		"app": "Yagura", "login": "Log in", "logout": "Log out", "user": "User", "password": "Password", "totp": "One-time code (if enabled)",
		"overview": "Overview", "alerts": "Alerts", "cases": "Cases", "hunt": "Hunt", "language": "日本語",
		"open_alerts": "Open alerts by severity", "recent_alerts": "Recent alerts", "open_cases": "Open cases by stage",
		"intake": "Intake health per source (last 24 hours)", "events_per_second": "Events/s (last 5 min)", "parse_errors": "Parse errors", "intake_hint": "By time of arrival; parse errors are events stored raw because no parser could read them.", "source": "Source", "events": "Events", "no_data": "Nothing yet.",
		"severity": "Severity", "status": "Status", "rule": "Rule", "entities": "Entities", "count": "Count", "last_seen": "Last seen",
		"first_seen": "First seen", "risk": "Risk", "filter": "Filter", "search": "Search", "all": "All", "actions": "Actions",
		"acknowledge": "Acknowledge", "close_fp": "Close as false positive and suppress", "close_tp": "Close as true positive",
		"create_case": "Create case", "selected": "selected", "assign_me": "Assign to me", "tags": "Tags", "matched_events": "Matched events",
		"title": "Title", "stage": "Stage", "owner": "Owner role", "updated": "Updated", "board": "Board", "list": "List",
		"evidence": "Evidence", "required": "Required evidence", "upload": "Upload", "attach_to": "Satisfies",
		"advance": "Complete this stage", "override": "Override reason (lead/admin)", "timeline": "Timeline", "sla": "SLA",
		"report": "Report", "bundle": "Evidence bundle", "tasks": "Tasks", "comment": "Comment", "add": "Add",
		"query": "Query", "from": "From", "run": "Run", "results": "Results", "fields": "Fields", "time": "Time", "message": "Message",
		"missing": "missing", "done": "done", "closed": "closed", "error": "Error", "keyboard": "Keys: j/k move, a acknowledge, m assign to me, Enter open",
		"new_case_title": "Case title", "playbook": "Playbook", "save_hunt": "Save hunt",
		"response": "Response actions", "action": "Action", "target": "Target", "result": "Result", "connector": "Connector",
		"request": "Request", "approve": "Approve", "reject": "Reject", "revert": "Revert",
		// Overview KPIs, live queue, entities, threat intel, admin.
		"active": "active", "actor": "Actor", "add_hold": "Add legal hold", "add_to_case": "Add to an existing case", "add_user": "Add a user",
		"admin": "Admin", "admin_audit": "Audit log", "admin_compliance": "Compliance", "admin_notify": "Channels and routes",
		"admin_retention": "Retention and legal holds", "admin_tokens": "API tokens", "admin_users": "Users and roles",
		"alert_days": "Keep closed alerts (days)", "alerts_over_time": "Alerts per day (last 30 days)", "archives": "Archived days", "as_of": "as of",
		"audit_records": "Audit records", "chain_broken": "The audit chain is broken", "chain_ok": "Audit chain verified", "change_role": "Change role",
		"channels": "Channels", "check": "Check", "compliance_report": "Compliance report", "confidence": "Confidence",
		"confirm_release": "Release this legal hold?", "confirm_revoke": "Revoke this token? Clients using it stop working.", "contain": "to contain",
		"contributions": "Risk contributions", "coverage": "Collection coverage", "created": "Created", "days_with_events": "Days with events",
		"dead_letters": "Undeliverable notifications", "delete_after_days": "Delete events after (days)", "detail": "Detail", "disabled": "disabled",
		"entity": "Entity", "entity_alerts": "Alerts naming this entity in the last 24 hours", "all_entity_alerts": "Every alert naming it, in the queue", "entity_risk": "Entity risk", "escalation": "Escalation", "expires": "Expires",
		"export": "Export", "exports": "Block lists for firewalls",
		"exports_hint": "Devices pull these with an API token of role export (Authorization: Bearer …).", "feeds": "Feeds",
		"feeds_hint": "Sources of the active indicators; last pull is the newest indicator a source reported.", "field": "Field",
		"fp_rate": "False-positive rate", "gaps": "Gap days", "generated": "generated", "half_life": "Half-life", "hash": "Hash", "hits": "Hits",
		"hot_days": "Searchable (days)", "hours": "Hours", "indicators": "Indicators", "intel": "Threat intel", "intel_hits": "Threat-intel hits",
		"ioc_search": "Indicator (IP, domain, hash, URL…)", "kind": "Kind", "kpi_pending": "The 30-day figures are being computed; reload in a moment.",
		"kpi_period": "Last 30 days", "kpis": "Key figures", "language_setting": "Language", "last_pull": "Last pull", "last_used": "Last used",
		"legal_holds": "Legal holds", "live_new": "new alerts since this page was loaded", "median": "median", "mttd": "Mean time to detect",
		"mttr": "Mean time to resolve", "name": "Name", "new_token": "New token", "newer": "newer", "no_admin": "Your role has no administration pages.",
		"no_intel_hits": "No matched event carries a threat-intel indicator.", "no_match": "No indicator matches.", "object": "Object", "older": "older",
		"open_alert_count": "Open alerts", "points": "Points", "previous": "previous period", "rate": "Rate", "reason": "Reason", "records": "records",
		"release": "Release", "released": "released", "reload": "reload", "remote": "Address", "retention_policy": "Retention policy", "revoke": "Revoke",
		"revoked": "revoked", "risk_alert": "Risk alert", "risk_over_time": "Risk over time", "riskiest": "Riskiest hosts and users", "role": "Role",
		"routes": "Routes", "save": "Save", "score_after": "Score after", "seen_since": "Seen since", "send_test": "Send a test",
		"sla_compliance": "SLA compliance", "sort": "Sort", "state": "State", "text": "Text", "threshold": "threshold", "time_zone": "Time zone", "to": "To",
		"to_block": "Block", "top_rules": "Top rules", "ttl": "Valid for", "type": "Type", "value": "Value", "closed_of": "closed of", "locked": "locked", "clocks_judged": "SLA clocks judged", "contributing_alerts": "Alerts that added the risk",
		// Rules.
		"rules": "Rules", "level": "Level", "alerts_30d": "Alerts (30 days)", "enabled": "enabled", "enable": "Enable", "disable": "Disable", "matches": "matches", "false_positives": "Known false positives", "references": "References", "file_changed": "The rule file changed on disk since it was loaded: this is the file now, not what runs.", "test_rule": "Test a rule against pasted events", "rule_yaml": "Rule (Sigma YAML)", "test_events": "Events: one per line, a log line or a JSON object", "test_summary": "{events} events tested, {total} matches", "no_rules_engine": "Rule management is not available on this server.", "no_such_rule": "No running rule has the id",
		// Tenants, channels and routes.
		"admin_tenants": "Tenants", "new_tenant": "New tenant", "this_tenant": "this tenant", "open_tenant": "Open", "tenant_hint": "1 to 63 lower-case letters, digits, - and _, starting with a letter or digit. Only admins of the provider tenant manage tenants.",
		"edit": "Edit", "delete": "Delete", "confirm_delete": "Delete it? This cannot be undone.", "config": "Settings (JSON)",
		"rate_per_minute": "Rate per minute (0 = no limit)", "new_channel": "New channel", "new_route": "New route",
		"min_severity": "Minimum severity", "weekdays": "Weekdays", "digest_minutes": "Digest every (minutes, 0 = off)",
		"channel_ids": "channel ids, in order", "secrets_hint": "Secrets are shown as ******** and kept when sent back unchanged.",
	},
	"ja": {
		"app": "Yagura（櫓）", "login": "ログイン", "logout": "ログアウト", "user": "ユーザー", "password": "パスワード", "totp": "ワンタイムコード（設定時）",
		"overview": "概要", "alerts": "アラート", "cases": "ケース", "hunt": "ハンティング", "language": "English",
		"open_alerts": "未対応アラート（重大度別）", "recent_alerts": "最近のアラート", "open_cases": "対応中のケース（段階別）",
		"intake": "ソース別の取り込み状況（直近24時間）", "events_per_second": "イベント/秒（直近5分）", "parse_errors": "パースエラー", "intake_hint": "受信時刻で集計。パースエラーはどのパーサーでも読めず、生データのまま保存されたイベントです。", "source": "ソース", "events": "イベント数", "no_data": "まだありません。",
		"severity": "重大度", "status": "状態", "rule": "ルール", "entities": "エンティティ", "count": "件数", "last_seen": "最終検知",
		"first_seen": "初回検知", "risk": "リスク", "filter": "絞り込み", "search": "検索", "all": "すべて", "actions": "操作",
		"acknowledge": "確認済みにする", "close_fp": "誤検知として閉じ、類似を抑制", "close_tp": "真陽性として閉じる",
		"create_case": "ケースを作成", "selected": "件選択", "assign_me": "自分に割り当て", "tags": "タグ", "matched_events": "該当イベント",
		"title": "件名", "stage": "段階", "owner": "担当ロール", "updated": "更新", "board": "ボード", "list": "一覧",
		"evidence": "証跡", "required": "必要な証跡", "upload": "アップロード", "attach_to": "充足する項目",
		"advance": "この段階を完了する", "override": "例外理由（リーダー/管理者）", "timeline": "時系列", "sla": "SLA",
		"report": "報告書", "bundle": "証跡バンドル", "tasks": "タスク", "comment": "コメント", "add": "追加",
		"query": "クエリ", "from": "期間", "run": "実行", "results": "結果", "fields": "フィールド", "time": "日時", "message": "メッセージ",
		"missing": "未提出", "done": "完了", "closed": "完了", "error": "エラー", "keyboard": "キー: j/k 移動、a 確認、m 自分に割り当て、Enter 開く",
		"new_case_title": "ケース件名", "playbook": "プレイブック", "save_hunt": "ハントを保存",
		"response": "対処", "action": "対処", "target": "対象", "result": "結果", "connector": "連携先",
		"request": "依頼", "approve": "承認", "reject": "却下", "revert": "取り消し",
		// Overview KPIs, live queue, entities, threat intel, admin.
		"active": "有効", "actor": "実行者", "add_hold": "リーガルホールドを追加", "add_to_case": "既存のケースに追加", "add_user": "ユーザーを追加", "admin": "管理", "admin_audit": "監査ログ",
		"admin_compliance": "コンプライアンス", "admin_notify": "通知先とルート", "admin_retention": "保存期間とリーガルホールド", "admin_tokens": "API トークン", "admin_users": "ユーザーとロール",
		"alert_days": "クローズ済みアラートの保存（日）", "alerts_over_time": "日別アラート件数（直近30日）", "archives": "アーカイブ済みの日数", "as_of": "時点", "audit_records": "監査レコード",
		"chain_broken": "監査チェーンが破損しています", "chain_ok": "監査チェーン検証済み", "change_role": "ロール変更", "channels": "通知先", "check": "確認項目",
		"compliance_report": "コンプライアンス報告書", "confidence": "確度", "confirm_release": "このリーガルホールドを解除しますか？",
		"confirm_revoke": "このトークンを失効させますか？利用中のクライアントは使えなくなります。", "contain": "封じ込め", "contributions": "リスク加算の履歴", "coverage": "収集状況", "created": "作成",
		"days_with_events": "イベントのある日数", "dead_letters": "配信不能な通知", "delete_after_days": "イベント削除まで（日）", "detail": "詳細", "disabled": "無効", "entity": "エンティティ",
		"entity_alerts": "直近24時間にこのエンティティを含むアラート", "all_entity_alerts": "このエンティティを含むすべてのアラート（一覧）", "entity_risk": "エンティティのリスク", "escalation": "エスカレーション", "expires": "有効期限", "export": "エクスポート",
		"exports": "ファイアウォール向けブロックリスト", "exports_hint": "機器は export ロールの API トークン（Authorization: Bearer …）で取得します。", "feeds": "フィード",
		"feeds_hint": "有効な指標の提供元。最終取得は提供元が報告した最新の指標の日時です。", "field": "フィールド", "fp_rate": "誤検知率", "gaps": "欠損日数", "generated": "作成", "half_life": "半減期",
		"hash": "ハッシュ", "hits": "ヒット数", "hot_days": "検索可能（日）", "hours": "時間帯", "indicators": "指標", "intel": "脅威インテリジェンス", "intel_hits": "脅威インテリジェンスの一致",
		"ioc_search": "指標（IP、ドメイン、ハッシュ、URL など）", "kind": "種類", "kpi_pending": "30日間の指標を計算中です。しばらくして再読み込みしてください。", "kpi_period": "直近30日", "kpis": "主要指標",
		"language_setting": "言語", "last_pull": "最終取得", "last_used": "最終使用", "legal_holds": "リーガルホールド", "live_new": "件の新着アラート（ページ表示後）", "median": "中央値",
		"mttd": "平均検知時間", "mttr": "平均解決時間", "name": "名前", "new_token": "新しいトークン", "newer": "新しい", "no_admin": "このロールで使える管理ページはありません。",
		"no_intel_hits": "該当イベントに脅威インテリジェンスの指標はありません。", "no_match": "一致する指標はありません。", "object": "対象", "older": "古い", "open_alert_count": "未完了アラート",
		"points": "加算", "previous": "前期", "rate": "レート", "reason": "理由", "records": "件", "release": "解除", "released": "解除済み", "reload": "再読み込み",
		"remote": "アドレス", "retention_policy": "保存ポリシー", "revoke": "失効", "revoked": "失効済み", "risk_alert": "リスクアラート", "risk_over_time": "リスクの推移",
		"riskiest": "リスクの高いホストとユーザー", "role": "ロール", "routes": "ルート", "save": "保存", "score_after": "加算後スコア", "seen_since": "検知期間", "send_test": "テスト送信",
		"sla_compliance": "SLA 遵守率", "sort": "並び順", "state": "状態", "text": "テキスト", "threshold": "しきい値", "time_zone": "タイムゾーン", "to": "終了",
		"to_block": "ブロック", "top_rules": "上位ルール", "ttl": "有効期間", "type": "種類", "value": "値", "closed_of": "件クローズ／全", "locked": "ロック中", "clocks_judged": "件の SLA 判定", "contributing_alerts": "リスクを加算したアラート",
		// Rules.
		"rules": "ルール", "level": "レベル", "alerts_30d": "アラート（30日）", "enabled": "有効", "enable": "有効にする", "disable": "無効にする", "matches": "件の一致", "false_positives": "既知の誤検知", "references": "参考情報", "file_changed": "読み込み後にルールファイルが変更されています。表示は現在のファイルで、実行中の内容ではありません。", "test_rule": "貼り付けたイベントでルールをテスト", "rule_yaml": "ルール（Sigma YAML）", "test_events": "イベント：1行に1件、ログ行または JSON オブジェクト", "test_summary": "{events} 件のイベントをテスト、{total} 件一致", "no_rules_engine": "このサーバーではルール管理を利用できません。", "no_such_rule": "実行中のルールにこの ID はありません：",
		// テナント、通知チャネルとルート。
		"admin_tenants": "テナント", "new_tenant": "新しいテナント", "this_tenant": "このテナント", "open_tenant": "開く", "tenant_hint": "英小文字・数字・-・_ の1〜63文字（先頭は英小文字か数字）。テナントを管理できるのはプロバイダーテナントの管理者だけです。",
		"edit": "編集", "delete": "削除", "confirm_delete": "削除しますか？元に戻せません。", "config": "設定（JSON）",
		"rate_per_minute": "毎分の上限（0 = 無制限）", "new_channel": "新しいチャネル", "new_route": "新しいルート",
		"min_severity": "最低重大度", "weekdays": "曜日", "digest_minutes": "まとめて送る間隔（分、0 = しない）",
		"channel_ids": "チャネルID（順に）", "secrets_hint": "秘密情報は ******** と表示され、そのまま送り返すと保存済みの値が保たれます。",
	},
}

// t returns the message for key in lang, falling back to English.
func t(lang, key string) string {
	if m, ok := messages[lang][key]; ok {
		return m
	}
	if m, ok := messages["en"][key]; ok {
		return m
	}
	return key
}
