package web

// messages is the console's message catalog, one map per language. Every
// string a page shows comes from here; a test checks both languages have
// the same keys.
var messages = map[string]map[string]string{
	"en": {
		"app": "Yagura", "login": "Log in", "logout": "Log out", "user": "User", "password": "Password", "totp": "One-time code (if enabled)",
		"overview": "Overview", "alerts": "Alerts", "cases": "Cases", "hunt": "Hunt", "language": "日本語",
		"open_alerts": "Open alerts by severity", "recent_alerts": "Recent alerts", "open_cases": "Open cases by stage",
		"intake": "Intake (last hour)", "source": "Source", "events": "Events", "no_data": "Nothing yet.",
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
	},
	"ja": {
		"app": "Yagura（櫓）", "login": "ログイン", "logout": "ログアウト", "user": "ユーザー", "password": "パスワード", "totp": "ワンタイムコード（設定時）",
		"overview": "概要", "alerts": "アラート", "cases": "ケース", "hunt": "ハンティング", "language": "English",
		"open_alerts": "未対応アラート（重大度別）", "recent_alerts": "最近のアラート", "open_cases": "対応中のケース（段階別）",
		"intake": "取り込み（直近1時間）", "source": "ソース", "events": "イベント数", "no_data": "まだありません。",
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
