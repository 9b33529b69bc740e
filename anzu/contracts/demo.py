"""Demo contracts: lease texts for demo units, archived and reviewed set-based.

Called by the demo seed (inside its transaction, under its one summary audit event): the texts
are stored as UTF-8 files by SHA-256 like any upload and reviewed with the default rules; no OCR
and no background task is involved. A few contracts carry clauses the review flags (indefinite
auto-renewal, an excessive deposit, unilateral rent increases, a missing dispute clause).
"""

from __future__ import annotations

import hashlib
from typing import Any

from anzu.common import clock
from anzu.contracts.choices import ContractSource, ContractStatus
from anzu.contracts.models import Contract, ContractField, ContractFinding, ContractPage

CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"

TEMPLATE = """房屋租赁合同

出租方（甲方）：{lessor}
统一社会信用代码：{uscc}
承租方（乙方）：{lessee}
证件号码：{id_number}

根据《中华人民共和国民法典》及有关规定，甲乙双方在平等、自愿、协商一致的基础上，就房屋租赁事宜达成如下协议：

第一条 房屋基本情况
甲方将坐落于{address}的房屋出租给乙方居住使用，建筑面积{area}平方米。

第二条 租赁期限
租赁期限自{start:%Y年%-m月%-d日}起至{end:%Y年%-m月%-d日}止，共计{months}个月。

第三条 租金及支付方式
月租金为人民币{rent}元（大写：{rent_cn}）。租金按{pay_text}支付，乙方应于每期首月{due_day}日前支付。
{rent_clause}
第四条 押金
乙方应于签订本合同时向甲方支付押金人民币{deposit}元。{deposit_clause}

第五条 其他费用
租赁期间，物业管理费由甲方承担；水费、电费、燃气费由乙方承担。

第六条 房屋维修
房屋主体结构及附属设施的自然损坏由甲方负责维修；因乙方使用不当造成的损坏由乙方负责维修。

第七条 转租
未经甲方书面同意，乙方不得将房屋转租、分租给他人。

第八条 违约责任
乙方逾期支付租金的，每逾期一日按应付租金的{late_rate}支付违约金。

第九条 合同的续签
{renewal_clause}
{dispute_clause}
本合同一式两份，甲乙双方各执一份，自双方签字（盖章）之日起生效。

甲方（盖章）：{lessor}
乙方（签字）：{lessee}
"""

LESSOR_USCC = "91310115MA1H7XKQ2B"


def amount_in_words(value: Any) -> str:
    """Whole yuan in 大写 (up to 99,999), e.g. 6500 → 陆仟伍佰元整."""
    n = int(value)
    if n == 0:
        return "零元整"
    units = ["", "拾", "佰", "仟", "万"]
    digits = [int(d) for d in str(n)][::-1]
    parts: list[str] = []
    zero = False
    for i, d in enumerate(digits):
        if d == 0:
            zero = bool(parts)
            continue
        if zero:
            parts.append("零")
            zero = False
        parts.append(CN_DIGITS[d] + units[i])
    return "".join(reversed(parts)) + "元整"


def contract_text(lease: Any, index: int, lessor: str) -> str:
    months = (
        (lease.end_date.year - lease.start_date.year) * 12
        + lease.end_date.month
        - lease.start_date.month
        + (1 if lease.end_date.day >= lease.start_date.day - 1 else 0)
    )
    rent = int(lease.monthly_rent)
    risky = index % 5
    deposit_months = 4 if risky == 1 else 1
    unit = lease.unit
    return TEMPLATE.format(
        lessor=lessor,
        uscc=LESSOR_USCC,
        lessee=lease.customer.name,
        id_number="已核验（见附件身份证复印件）",
        address=f"{unit.building.address}{unit.building.name}{unit.code}室",
        area=unit.area_m2,
        start=lease.start_date,
        end=lease.end_date,
        months=months,
        rent=f"{rent:.2f}",
        rent_cn=amount_in_words(rent),
        pay_text="季度" if index % 2 else "月",
        due_day=5,
        rent_clause=("甲方有权根据市场情况单方调整租金，乙方应当接受。\n" if risky == 2 else ""),
        deposit=f"{rent * deposit_months:.2f}",
        deposit_clause=(
            "租赁期满乙方结清费用并交还房屋后，甲方应于七日内无息退还押金；"
            "乙方欠付租金或损坏房屋的，甲方可从押金中扣除。"
        ),
        late_rate="千分之三" if risky != 3 else "百分之一",
        renewal_clause=(
            "租赁期满后本合同自动续期，续期次数不限，双方均不得拒绝。"
            if risky == 4
            else "租赁期满乙方需继续承租的，应提前三十日书面通知甲方，双方另行签订租赁合同。"
        ),
        dispute_clause=(
            ""
            if index % 7 == 6
            else "第十条 争议解决\n因本合同发生争议的，双方协商解决；协商不成的，依法向房屋所在地人民法院起诉。\n"
        ),
    )


def seed_contracts(organization: Any, *, count: int = 20) -> int:
    """Archive and review ``count`` text contracts of the organization's first leases.

    Set-based (a handful of bulk inserts, no audit event of its own: the demo seed records
    one summary event). Returns the number of contracts written.
    """
    from anzu.contracts.review import review
    from anzu.contracts.services import _field_rows, _finding_rows, _risk_level, jsonable
    from anzu.documents.choices import DocumentKind
    from anzu.documents.models import Document
    from anzu.documents.services import storage_path
    from anzu.leasing.models import Lease

    leases = list(
        Lease.objects.filter(organization=organization)
        .exclude(status__in=["void", "draft"])
        .select_related("unit", "unit__building", "customer", "project", "building")
        .order_by("id")[:count]
    )
    if not leases:
        return 0
    lessor = str(organization.name)
    now = clock.now()
    texts = [contract_text(lease, i, lessor) for i, lease in enumerate(leases)]
    contents = [t.encode("utf-8") for t in texts]
    hashes = [hashlib.sha256(c).hexdigest() for c in contents]
    for content, sha in zip(contents, hashes, strict=True):
        path = storage_path(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    documents = Document.objects.bulk_create(
        [
            Document(
                organization=organization,
                kind=DocumentKind.CONTRACT,
                title=f"房屋租赁合同 {lease.code}",
                sha256=sha,
                size=len(content),
                content_type="text/plain; charset=utf-8",
                related_type="leasing.lease",
                related_id=str(lease.pk),
            )
            for lease, sha, content in zip(leases, hashes, contents, strict=True)
        ]
    )
    results = [review(text) for text in texts]
    contracts = Contract.objects.bulk_create(
        [
            Contract(
                organization=organization,
                project=lease.project,
                building=lease.building,
                unit=lease.unit,
                lease=lease,
                document=doc,
                sha256=sha,
                title=f"房屋租赁合同 {lease.code}",
                original_name=f"{lease.code}.txt",
                source=ContractSource.TEXT,
                status=ContractStatus.READY,
                page_count=1,
                text=text,
                ocr_confidence=1.0,
                risk_level=_risk_level(result),
                reviewed_at=now,
            )
            for lease, doc, sha, text, result in zip(
                leases, documents, hashes, texts, results, strict=True
            )
        ]
    )
    pages = ContractPage.objects.bulk_create(
        [
            ContractPage(contract=c, number=1, text=c.text, offset=0, source=ContractSource.TEXT)
            for c in contracts
        ]
    )
    fields: list[ContractField] = []
    findings: list[ContractFinding] = []
    for contract, page, result in zip(contracts, pages, results, strict=True):
        rows = _field_rows(contract, result, [page])
        fields.extend(rows)
        findings.extend(_finding_rows(contract, result, [page], None))
        values = {f.name: f.value for f in rows}
        from anzu.contracts.services import CONTRACT_COLUMNS, _column_value

        for name, column in CONTRACT_COLUMNS.items():
            if name in values:
                setattr(contract, column, _column_value(column, jsonable(values[name])))
    ContractField.objects.bulk_create(fields, batch_size=500)
    ContractFinding.objects.bulk_create(findings, batch_size=500)
    Contract.objects.bulk_update(contracts, list(CONTRACT_COLUMNS.values()), batch_size=500)
    return len(contracts)
