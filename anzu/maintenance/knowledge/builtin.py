"""Built-in self-help articles (Chinese), available to every organization.

Each article has a stable ``key``; :func:`anzu.maintenance.knowledge.services.articles_ensure_builtin`
inserts the ones missing from the database (first use, and the data migration). An organization
overrides one by writing its own article that names it (``Article.overrides``), or hides it by
publishing an unpublished override.

Body format (Markdown-lite): paragraphs separated by a blank line; lines starting with ``1.``,
``2.`` … form numbered steps; lines starting with ``- `` form a list. HTML is escaped.
"""

from __future__ import annotations

from typing import TypedDict


class BuiltinArticle(TypedDict):
    key: str
    category_code: str
    title: str
    body: str
    safety_note: str
    position: int


BUILTIN_ARTICLES: list[BuiltinArticle] = [
    {
        "key": "toilet_blocked.plunger",
        "category_code": "water_electric.toilet_blocked",
        "title": "马桶堵塞：先用皮搋子疏通",
        "body": (
            "大部分马桶堵塞是卫生纸或杂物堆积造成的，用皮搋子（马桶吸）通常几分钟就能解决。\n\n"
            "1. 先别再冲水，防止污水溢出；如果水位很高，先用水桶舀出一部分。\n"
            "2. 把皮搋子的橡胶碗完全罩住马桶出水口，让水没过橡胶碗。\n"
            "3. 先轻压排出空气，再用力快速上下抽动 10～15 次，最后猛地拔起。\n"
            "4. 水位明显下降后，冲一次水试试；仍不通可重复 2～3 轮。\n"
            "5. 也可以倒入一小盆热水（约 60℃，不要用开水）和少量洗洁精，等 15 分钟后再疏通。\n\n"
            "如果掉进了手机、玩具、瓶盖等硬物，请不要继续抽，直接报修，以免把异物推得更深。"
        ),
        "safety_note": (
            "不要使用强酸、强碱类管道疏通剂，也不要混用不同疏通剂，会产生有毒气体并腐蚀管道。"
            "污水已经漫出马桶时，请先关闭马桶后方的角阀再报修。"
        ),
        "position": 10,
    },
    {
        "key": "breaker_tripped.reset",
        "category_code": "water_electric.breaker_tripped",
        "title": "跳闸断电：找到电箱，排查后再合闸",
        "body": (
            "跳闸通常是某个电器漏电或同时用电太多引起的。电箱一般在入户门附近的墙上。\n\n"
            "1. 先看看楼道或邻居家有没有电；如果整栋楼都停电，请等待物业通知，不用报修。\n"
            "2. 拔掉刚才正在使用的大功率电器（电暖器、热水壶、空调、洗衣机等）的插头。\n"
            "3. 打开电箱盖，找到手柄朝下的开关（漏电保护器一般带“试验”按钮）。\n"
            "4. 用干燥的手把开关往上推到底合闸；推不上去时先往下拉到底再推上。\n"
            "5. 合闸成功后，逐个插回电器，找出一插上就跳闸的那一个，停止使用并报修。\n\n"
            "如果什么都不插也一合闸就跳，说明线路有问题，请直接报修。"
        ),
        "safety_note": (
            "手湿或地面有水时不要碰电箱。不要拆开电箱、插座或开关，不要触碰任何电线；"
            "闻到焦糊味、看到冒烟或火花，请立即远离并拨打物业电话，必要时拨打 119。"
        ),
        "position": 10,
    },
    {
        "key": "no_hot_water.check",
        "category_code": "water_electric.no_hot_water",
        "title": "没有热水：电热水器和燃气热水器的检查方法",
        "body": (
            "先确认家里是电热水器还是燃气热水器（燃气热水器连着燃气管，一般装在厨房或阳台）。\n\n"
            "电热水器：\n\n"
            "1. 看热水器上的指示灯或屏幕是否亮着；不亮先检查插座是否有电、是否跳闸。\n"
            "2. 确认加热开关已打开，温度设置在 50～60℃。\n"
            "3. 刚用完一大桶热水的话，需要加热 30～60 分钟才能再次出热水。\n\n"
            "燃气热水器：\n\n"
            "1. 确认燃气表有余额，燃气总阀和热水器前的燃气阀是打开的（阀柄与管道平行为开）。\n"
            "2. 冬天水压或水流太小可能点不着火，把热水龙头开大一些再试。\n"
            "3. 屏幕显示故障代码时，拔掉电源等 1 分钟后重新插上；代码仍在请记下并报修。"
        ),
        "safety_note": (
            "闻到燃气味：不要开关任何电器和灯，不要打电话或用明火，立刻关闭燃气阀、打开门窗，"
            "到室外后再拨打燃气公司抢修电话或物业电话。不要自行拆卸热水器。"
        ),
        "position": 10,
    },
    {
        "key": "smart_lock.battery",
        "category_code": "lock.smart_lock",
        "title": "智能门锁没电了：应急供电开门",
        "body": (
            "门锁提示“电量低”或按键没有反应，多半是电池没电了。电池装在门内侧的锁体上。\n\n"
            "1. 在门外：找到锁体底部的 USB 应急供电口（Type-C 或 Micro-USB，一般有小盖子）。\n"
            "2. 用充电宝和数据线接上应急口，门锁亮起后正常输入密码或指纹开门。\n"
            "3. 进门后打开门内侧锁体的电池盖，一次性更换全部电池（常见为 4～8 节 5 号碱性电池）。\n"
            "4. 换好后关门试一次密码或指纹，确认能正常开锁再离开。\n\n"
            "手边没有充电宝或锁上没有应急口时，请报修，工作人员会带机械钥匙上门。"
        ),
        "safety_note": "不要撬锁或拆卸门锁外面板，否则可能触发报警或损坏门锁，费用需要自行承担。",
        "position": 10,
    },
    {
        "key": "smart_lock.password",
        "category_code": "lock.smart_lock",
        "title": "智能门锁密码打不开：常见原因和处理",
        "body": (
            "密码输入正确却打不开，常见原因是输入太快、键盘被锁定或者密码已被更换。\n\n"
            "1. 先轻触键盘唤醒门锁，等数字键亮起后再慢慢输入密码，最后按“#”或确认键。\n"
            "2. 连续输错多次后门锁会锁定 3～5 分钟，请等待后再试，期间不要反复按键。\n"
            "3. 可以使用“虚位密码”：在正确密码前后加几位任意数字，同样能开锁。\n"
            "4. 临时密码有有效期，过期后需要重新获取；请查看短信或租户端消息里的最新密码。\n"
            "5. 若近期有人员搬离或换锁，密码可能已被管理员更换，请通过报修联系我们重置。"
        ),
        "safety_note": "不要把密码告诉陌生人或写在门边；怀疑密码泄露时请马上报修更换。",
        "position": 20,
    },
    {
        "key": "ac_not_cooling.check",
        "category_code": "appliance.ac_not_cooling",
        "title": "空调不制冷：先检查模式、温度和滤网",
        "body": (
            "很多“不制冷”其实是模式设置不对或滤网太脏，自己几分钟就能处理。\n\n"
            "1. 检查遥控器模式是否为“制冷”（雪花图标），不是“送风”“除湿”或“自动”。\n"
            "2. 把温度调到 24～26℃，风速调到中高档，关好门窗，等待 10～15 分钟。\n"
            "3. 遥控器没反应时更换电池；空调完全不启动时检查插头和是否跳闸。\n"
            "4. 关机并拔掉电源，掀开室内机面板，取出滤网，用清水冲洗、阴干后装回。\n"
            "5. 重新开机后，如果出风口仍是热风、室外机不转，或室内机滴水，请报修。"
        ),
        "safety_note": (
            "清洗滤网前一定先断电。不要拆开室内机内部或爬到窗外、阳台外侧检查室外机，"
            "室外机维修必须由专业人员完成。"
        ),
        "position": 10,
    },
    {
        "key": "wifi.restart",
        "category_code": "network.wifi",
        "title": "Wi-Fi 断网：重启路由器和光猫",
        "body": (
            "大多数断网问题重启设备就能恢复。光猫是运营商的设备，路由器负责发出 Wi-Fi。\n\n"
            "1. 先看看手机用流量能否上网，确认不是手机本身的问题；也可以问问邻居是否同样断网。\n"
            "2. 看光猫指示灯：“LOS”或“光信号”灯红色闪烁表示外线故障，请直接报修。\n"
            "3. 拔掉光猫和路由器的电源，等待 30 秒，先插光猫，2 分钟后再插路由器。\n"
            "4. 等 3～5 分钟，所有指示灯稳定后重新连接 Wi-Fi。\n"
            "5. 连得上 Wi-Fi 但打不开网页时，在手机上“忘记此网络”后重新输入密码连接。"
        ),
        "safety_note": "不要按路由器或光猫背面的 Reset 小孔，恢复出厂设置后需要重新配置，网络会更久无法使用。",
        "position": 10,
    },
    {
        "key": "leak.main_valve",
        "category_code": "water_electric.leak",
        "title": "漏水：立即关闭总阀，减少损失",
        "body": (
            "发现漏水，第一件事是关水，然后再报修。\n\n"
            "1. 找到入户总阀：一般在厨房水槽下、卫生间或入户门旁的水表处。\n"
            "2. 顺时针拧紧阀门，或把阀柄转到与水管垂直的位置，水就关掉了。\n"
            "3. 只是某个水龙头、马桶或洗衣机漏水时，也可以只关它下方的角阀。\n"
            "4. 用毛巾、水桶接水，擦干地面，把电器、插线板和贵重物品移到高处。\n"
            "5. 拍下漏水位置的照片，报修时上传，维修师傅可以提前准备配件。\n\n"
            "楼上往下渗水或墙内漏水，请在关闭总阀后直接报修，我们会联系楼上住户。"
        ),
        "safety_note": (
            "漏水靠近插座、电箱或电器时，先到电箱关闭总电源，不要赤脚踩水触碰电器。"
            "水量很大无法控制时，请立即拨打物业电话。"
        ),
        "position": 10,
    },
    {
        "key": "access_card.reactivate",
        "category_code": "lock.access_card",
        "title": "门禁卡刷不开：检查与补办",
        "body": (
            "门禁卡失灵多半是卡片消磁、损坏，或者门禁权限到期。\n\n"
            "1. 把卡片平贴在读卡器感应区中央停留 1～2 秒，不要和其他卡叠在一起刷。\n"
            "2. 换一个门（如单元门、车库门）试试，判断是卡的问题还是门禁机的问题。\n"
            "3. 远离手机、磁铁存放卡片；卡片弯折、开裂后通常无法修复。\n"
            "4. 租约续签后门禁权限可能需要更新，请在报修时说明续签日期。\n"
            "5. 卡片丢失请尽快报修挂失，避免他人使用；补卡可能会收取工本费。"
        ),
        "safety_note": "门禁机不开时不要强行拉门或撬门，可联系物业值班人员临时开门。",
        "position": 10,
    },
]
