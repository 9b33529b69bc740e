"""The default wording (version 1) of an organization's lease contract.

Its structure follows the model residential lease contracts published by housing authorities
(住房租赁合同示范文本): parties, premises, use, term, rent and payment, deposit, other fees,
repairs, sublet, change/termination/renewal, liability, disputes, signatures.
"""

from __future__ import annotations

DEFAULT_TITLE = "住房租赁合同"

DEFAULT_BODY = """\
<p class="parties">出租人（甲方）：{lessor_name}<br>统一社会信用代码：{lessor_credit_code}<br>住所：{lessor_address}</p>
<p class="parties">承租人（乙方）：{lessee_name}<br>证件类型：{lessee_id_type}　证件号码：{lessee_id_number}<br>联系电话：{lessee_phone}</p>
<p>根据《中华人民共和国民法典》及有关法律法规的规定，甲乙双方在平等、自愿、公平、诚实信用的基础上，就乙方承租甲方房屋事宜，订立本合同。</p>

<h2>第一条 房屋基本情况</h2>
<p>甲方出租的房屋坐落于{premises_address}（{project_name}{building_name}{unit_code}室），建筑面积{unit_area}平方米，户型{unit_layout}。甲方保证对该房屋享有出租的权利，房屋不存在法律法规禁止出租的情形。</p>

<h2>第二条 租赁用途</h2>
<p>乙方承租该房屋用于{use}，未经甲方书面同意，乙方不得改变房屋用途，不得利用房屋从事违法活动。</p>

<h2>第三条 租赁期限</h2>
<p>租赁期限为{term_text}，自{start_date}起至{end_date}止。甲方应于租赁期开始之日将房屋交付乙方。</p>

<h2>第四条 租金及支付方式</h2>
<p>月租金为人民币{monthly_rent}（大写：{monthly_rent_upper}）。租金按{payment_cycle}方式支付，即押金{deposit_months}个月、每次支付{pay_months}个月租金；{due_day_text}。</p>
<p>免租期：{rent_free_text}。租金调整：{escalation_text}。</p>

<h2>第五条 押金</h2>
<p>乙方应于签订本合同时向甲方支付押金人民币{deposit}（大写：{deposit_upper}）。租赁期满或合同解除后，乙方结清租金及其他费用、房屋及附属设施完好交还的，甲方应于{deposit_return_days}日内将押金无息退还乙方。</p>
<p>有下列情形之一的，甲方可从押金中扣除相应款项，并向乙方出具明细：（一）乙方拖欠的租金及其他费用；（二）乙方造成房屋及附属设施损坏的维修费用；（三）乙方应承担的违约金或赔偿金。</p>

<h2>第六条 其他费用</h2>
<p>租赁期内，物业管理费由{property_fee_payer}承担；水、电、燃气等费用由{utilities_payer}承担。网络、有线电视等乙方自行开通的服务费用由乙方承担。</p>

<h2>第七条 房屋维修</h2>
<p>房屋及附属设施的维修责任由甲方承担，因乙方使用不当造成损坏的除外。乙方发现房屋或设施损坏应及时通知甲方，甲方应在接到通知后{repair_response_hours}小时内响应并安排维修；涉及安全的紧急情况应立即处理。因乙方原因造成的损坏，由乙方负责修复或赔偿。</p>

<h2>第八条 转租</h2>
<p>未经甲方书面同意，乙方不得将房屋全部或部分转租、出借给他人，不得分租、群租。经甲方书面同意转租的，乙方应就次承租人的行为对甲方承担责任。</p>

<h2>第九条 合同的变更、解除与续签</h2>
<p>经甲乙双方协商一致，可以变更或解除本合同。乙方拖欠租金达一个月以上、擅自转租或改变房屋用途、利用房屋从事违法活动的，甲方有权解除合同。甲方未按约定交付房屋或房屋危及乙方安全、健康的，乙方有权解除合同。</p>
<p>租赁期满乙方需继续承租的，应于期满前三十日书面通知甲方，双方协商一致后另行签订租赁合同；同等条件下乙方享有优先承租权。</p>

<h2>第十条 违约责任</h2>
<p>乙方逾期支付租金的，{late_fee_text}。任何一方违反本合同约定给对方造成损失的，应承担赔偿责任。</p>

<h2>第十一条 争议解决</h2>
<p>因本合同引起的争议，由双方协商解决；协商不成的，{dispute_text}。</p>

<h2>第十二条 其他约定</h2>
<p>本合同以电子签名方式签署，甲乙双方的电子签名与手写签名或盖章具有同等法律效力。本合同自双方签署之日起生效。合同编号：{agreement_number}（租约编号：{lease_code}）。</p>
"""
