"""The default wording of formal notices (催缴正式书面通知) and lawyer letters (律师函).

Every organization starts with these as version 1 of each kind, published, the first time it
issues a notice or opens the template pages. Operators adapt them (their lease clause numbers,
their law firm) by saving a new version and publishing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from anzu.documents.choices import NoticeKind


@dataclass(frozen=True)
class DefaultTemplate:
    title: str
    body: str
    consequences: str
    deadline_days: int


FORMAL_NOTICE = DefaultTemplate(
    title="逾期租金催缴正式书面通知",
    deadline_days=7,
    body="""致：{customer_name}（承租方）
发函方：{organization_name}（出租方）
根据双方签订的《房屋租赁合同》（合同编号：{lease_code}），贵方承租位于{unit_label}的房屋，并应按合同约定按期足额支付租金及相关费用。
截至{issue_date}，贵方下列款项已逾期未付，其中最早一笔应付日期为{due_date}，已逾期{overdue_days}日：
{bills_table}
逾期未付金额合计：{amount_due}（人民币{amount_due_upper}）。
我方此前已通过短信、电话等方式多次提醒，但至今未收到上述款项。现以本通知正式催告贵方：请于{deadline}前将上述欠款全额支付至以下账户，并在付款附言中注明合同编号{lease_code}：
{pay_account}
如贵方已付款，请向我方提供付款凭证，本通知中已付部分自动失效；如对上述账单有异议，请于收到本通知之日起三日内以书面形式向我方提出。
{consequences}
特此通知。""",
    consequences=(
        "如贵方逾期仍未支付，我方将依据租赁合同中关于租金支付及违约责任的条款，按合同约定的标准"
        "计收逾期违约金；经本次催告后在上述期限内仍不支付的，我方有权依据《中华人民共和国民法典》"
        "第七百二十二条的规定解除租赁合同、收回房屋，并保留通过法律途径追讨欠款、违约金及相关费用的权利。"
    ),
)

LAWYER_LETTER = DefaultTemplate(
    title="律师函",
    deadline_days=5,
    body="""致：{customer_name}
事由：关于{unit_label}房屋拖欠租金事宜（合同编号：{lease_code}）
受{organization_name}（以下简称"委托人"）委托，现就贵方拖欠租金一事郑重函告如下：
一、基本事实
贵方与委托人签订《房屋租赁合同》（合同编号：{lease_code}），承租位于{unit_label}的房屋。根据合同约定，贵方应按期足额支付租金及相关费用。截至{issue_date}，贵方下列款项已逾期未付，其中最早一笔应付日期为{due_date}，已逾期{overdue_days}日：
{bills_table}
欠付金额合计：{amount_due}（人民币{amount_due_upper}）。委托人已向贵方发出正式书面催缴通知，但贵方至今仍未履行付款义务。
二、法律依据
《中华人民共和国民法典》第五百零九条规定，当事人应当按照约定全面履行自己的义务；第七百二十一条规定，承租人应当按照约定的期限支付租金；第七百二十二条规定，承租人无正当理由未支付或者迟延支付租金的，出租人可以请求承租人在合理期限内支付，承租人逾期不支付的，出租人可以解除合同。贵方的行为已构成违约。
三、要求
请贵方于{deadline}前将上述欠款全额支付至委托人以下账户：
{pay_account}
{consequences}
特此函告。""",
    consequences=(
        "如贵方逾期仍未支付，委托人将依据租赁合同中关于租金支付及违约责任的条款以及《中华人民共和国"
        "民法典》第七百二十二条的规定解除租赁合同、收回房屋，并通过诉讼等法律途径追讨全部欠款、逾期"
        "违约金以及因此产生的律师费、诉讼费、保全费等费用，由此产生的一切法律后果由贵方自行承担。"
    ),
)

DEFAULTS: dict[str, DefaultTemplate] = {
    NoticeKind.FORMAL_NOTICE.value: FORMAL_NOTICE,
    NoticeKind.LAWYER_LETTER.value: LAWYER_LETTER,
}
