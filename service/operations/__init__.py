"""The approval operations people in Chinese OA systems expect on every task (issue 7), one module each.

| module | operation | audit kind |
|---|---|---|
| `transfer` | 转办: the holder hands the task to another person, who then owns it | `task.transferred` |
| `delegate` | 委派: the holder asks someone to work on it; their completion comes back to the holder | `task.delegated` |
| `signers` | 加签 / 减签 on a parallel multi-instance (会签) task | `task.signer_added`, `task.signer_removed` |
| `send_back` | 退回: back to an earlier completed step, with a reason | `task.sent_back` |
| `withdraw` | 撤回: a step by the person who completed it; a whole case by its initiator | `task.withdrawn`, `instance.withdrawn` |
| `cc` | 抄送: read access and a place under 抄送我的 | `instance.cc` |
| `comments` | 留言 on a task or a case (in the timeline) | `comment.added` |
| `attachments` | files on a task, type- and size-checked, stored in the database | `attachment.added` |
| `proxies` | 代理: a deputy for a date range receives new tasks | `proxy.set`, `proxy.revoked` |
| `bulk` | claim, transfer or urge several tasks, each in its own transaction | (those of each) |
| `available` | what a person may do on one task (the task page and the API read it) | — |

催办 (urge) lives in `service.urge`. Every command here runs in the caller's write transaction and follows
DESIGN.md section 8: lock the instance, re-read the task, check its state (409) and the actor's right (403, or 404
when the actor may not see the case), act, append the audit event, notify the people concerned.
"""
