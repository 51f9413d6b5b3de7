"""A small template grammar per industry: believable Chinese patent titles, abstracts and IPC codes.

Titles read like real CNIPA titles ("一种基于…的…方法及装置"); IPC codes are the subclasses and
groups real patents of the industry carry."""

from __future__ import annotations

import random

from ..listings.models import Industry

GRAMMAR: dict[Industry, dict[str, list[str]]] = {
    Industry.electronics: {
        "tech": ["氮化镓", "碳化硅", "低温共烧陶瓷", "硅光", "MEMS", "锁相环", "射频前端", "柔性电路", "Micro LED", "薄膜晶体管"],
        "object": ["功率放大器", "驱动芯片", "传感器封装结构", "显示面板", "滤波器", "电源管理电路", "存储单元", "天线阵列"],
        "action": ["制备", "封装", "校准", "检测", "驱动"],
        "part": ["衬底", "外延层", "金属互连层", "散热基板", "屏蔽罩", "控制模块"],
        "effect": ["降低了寄生电容和功耗", "提高了器件的可靠性和良率", "减小了封装体积", "提升了高频下的线性度"],
        "scene": ["5G 基站", "车载电子", "可穿戴设备", "工业控制"],
        "ipc": ["H01L21/02", "H01L23/367", "H03F3/21", "H01L33/00", "G09G3/32", "H01Q1/38", "H02M3/156", "G11C16/04"],
    },
    Industry.biomedicine: {
        "tech": ["CRISPR", "纳米载体", "单克隆抗体", "微流控", "mRNA", "海洋多糖", "中药活性成分", "类器官"],
        "object": ["检测试剂盒", "缓释制剂", "抗肿瘤化合物", "疫苗佐剂", "创面敷料", "药物组合物", "诊断芯片"],
        "action": ["制备", "筛选", "检测", "纯化", "提取"],
        "part": ["反应腔", "样本池", "试剂仓", "过滤膜", "温控单元"],
        "effect": ["提高了检测灵敏度和特异性", "延长了药物的体内半衰期", "降低了毒副作用", "缩短了检测时间"],
        "scene": ["基层医疗机构", "临床诊断", "药物研发", "疾病筛查"],
        "ipc": ["A61K9/51", "A61K36/00", "C12N15/11", "G01N33/53", "A61P35/00", "C07K16/28", "A61L15/28", "C12Q1/68"],
    },
    Industry.big_data: {
        "tech": ["知识图谱", "联邦学习", "流式计算", "时序数据库", "隐私计算", "数据湖", "区块链"],
        "object": ["数据治理平台", "异常流量", "数据共享平台", "多源异构数据", "运维日志", "数据资产"],
        "action": ["处理", "存储", "查询", "清洗", "调度"],
        "part": ["采集模块", "存储节点", "索引单元", "调度器", "加密模块"],
        "effect": ["提高了海量数据的查询效率", "保障了数据共享中的隐私安全", "降低了存储成本", "提升了数据质量"],
        "scene": ["政务数据平台", "智慧城市", "金融风控", "工业互联网"],
        "ipc": ["G06F16/27", "G06F16/2458", "G06F21/62", "G06F16/35", "H04L9/32", "G06F9/50", "G06Q10/06"],
    },
    Industry.ai: {
        "tech": ["深度学习", "Transformer", "图神经网络", "强化学习", "多模态大模型", "注意力机制", "迁移学习"],
        "object": ["工业图像", "产品表面缺陷", "语音信号", "运动目标", "文本数据", "移动机器人路径", "人脸图像"],
        "action": ["训练", "识别", "检测", "预测", "推理"],
        "part": ["特征提取模块", "推理单元", "标注模块", "边缘计算终端", "图像采集装置"],
        "effect": ["提高了识别准确率", "减少了对标注样本的依赖", "降低了模型推理延迟", "增强了复杂场景下的鲁棒性"],
        "scene": ["工业质检", "智能安防", "辅助诊断", "自动驾驶"],
        "ipc": ["G06N3/08", "G06N3/045", "G06V10/82", "G06V40/16", "G06T7/00", "G10L15/16", "G06F40/30"],
    },
    Industry.internet_plus: {
        "tech": ["小程序", "物联网", "云原生", "数字孪生", "5G 边缘计算", "低代码"],
        "object": ["在线教育平台", "物流配送任务", "设备远程运维", "社区服务", "电子商务商品", "景区导览"],
        "action": ["管理", "推荐", "调度", "监控", "交互"],
        "part": ["服务端", "移动终端", "网关", "消息队列", "用户画像模块"],
        "effect": ["提升了用户体验", "降低了运维成本", "提高了资源调度效率", "实现了业务的实时协同"],
        "scene": ["中小企业", "社区", "景区", "物流园区"],
        "ipc": ["G06Q50/20", "G06Q10/08", "H04L67/12", "G06Q30/06", "H04W4/70", "G06F8/34"],
    },
    Industry.new_materials: {
        "tech": ["石墨烯", "纳米纤维素", "高熵合金", "气凝胶", "钙钛矿", "陶瓷基复合", "可降解高分子"],
        "object": ["涂层", "复合材料", "薄膜", "吸附材料", "阻燃材料", "导热垫片"],
        "action": ["制备", "改性", "成型", "表面处理"],
        "part": ["基体", "增强相", "功能层", "粘结层"],
        "effect": ["提高了材料的力学强度", "改善了耐腐蚀性能", "降低了生产能耗", "提升了导热系数"],
        "scene": ["航空航天", "建筑节能", "电子散热", "环保包装"],
        "ipc": ["C08L1/02", "C01B32/184", "C22C30/00", "C09D5/08", "B32B27/08", "C04B35/80", "C08J5/18"],
    },
    Industry.new_energy: {
        "tech": ["固态电解质", "钠离子", "光伏逆变", "氢燃料电池", "储能变流", "锂硫电池", "风光互补"],
        "object": ["正极材料", "电池管理系统", "储能电站", "充电桩", "光伏组件", "电解槽"],
        "action": ["制备", "控制", "均衡", "监测", "回收"],
        "part": ["电芯", "汇流排", "热管理单元", "逆变模块", "储氢罐"],
        "effect": ["提高了能量密度和循环寿命", "提升了系统转换效率", "降低了热失控风险", "减少了弃风弃光"],
        "scene": ["电动汽车", "分布式光伏", "电网调峰", "海上风电"],
        "ipc": ["H01M10/0562", "H01M4/36", "H02J7/00", "H02J3/38", "H02S40/32", "C25B1/04", "B60L53/30"],
    },
    Industry.high_end_equipment: {
        "tech": ["五轴联动", "视觉伺服", "激光熔覆", "液压伺服", "协作机器人", "精密减速", "增材制造"],
        "object": ["数控机床", "机械臂", "自动化产线", "夹具", "焊接装置", "检测工装", "输送机构"],
        "action": ["加工", "装配", "定位", "焊接", "控制"],
        "part": ["机架", "主轴", "导轨", "伺服电机", "夹紧气缸", "控制柜"],
        "effect": ["提高了加工精度", "缩短了换型时间", "降低了人工成本", "延长了设备使用寿命"],
        "scene": ["汽车零部件", "船舶制造", "电子装配", "模具加工"],
        "ipc": ["B23Q3/06", "B25J9/16", "B23K26/342", "G05B19/418", "B65G47/90", "F16H1/32", "B33Y30/00"],
    },
    Industry.modern_agriculture: {
        "tech": ["智能灌溉", "植物工厂", "生物菌剂", "无人机植保", "水产循环养殖", "茶叶精深加工"],
        "object": ["育苗装置", "病虫害", "茶叶", "水肥一体化系统", "食用菌", "鱼类"],
        "action": ["种植", "监测", "加工", "养殖", "育种"],
        "part": ["育苗盘", "滴灌管", "补光灯", "增氧泵", "传感器节点"],
        "effect": ["提高了产量和品质", "减少了农药化肥用量", "降低了人工管理成本", "提高了成活率"],
        "scene": ["设施农业", "茶园", "水产养殖场", "家庭农场"],
        "ipc": ["A01G25/02", "A01G9/029", "A01K61/10", "A23F3/06", "A01N63/20", "A01G18/00", "A01M7/00"],
    },
}

TITLE_TEMPLATES = [
    "一种基于{tech}的{object}{action}方法及装置",
    "一种{tech}{object}及其{action}方法",
    "基于{tech}的{object}系统",
    "一种用于{scene}的{object}{action}方法",
    "一种{object}的{action}方法、设备及存储介质",
]
UTILITY_TEMPLATES = ["一种{object}{action}装置", "一种用于{scene}的{part}", "一种{tech}{object}{action}设备"]
DESIGN_PRODUCTS = {
    Industry.electronics: ["智能网关", "控制主板外壳", "显示终端"],
    Industry.biomedicine: ["检测仪", "试剂盒包装", "采样器"],
    Industry.big_data: ["数据采集终端", "服务器面板"],
    Industry.ai: ["巡检机器人", "智能摄像头"],
    Industry.internet_plus: ["自助终端", "智能快递柜"],
    Industry.new_materials: ["隔热板", "装饰面板"],
    Industry.new_energy: ["充电桩", "储能柜", "便携式电源"],
    Industry.high_end_equipment: ["数控操作面板", "机械臂关节", "焊枪"],
    Industry.modern_agriculture: ["茶叶包装盒", "育苗盘", "灌溉控制器"],
}
MATURITY = ["实验室验证", "样机已完成", "中试阶段", "已小批量应用", "已产业化应用"]


def fill(template: str, words: dict[str, list[str]], rng: random.Random) -> str:
    return template.format(**{key: rng.choice(values) for key, values in words.items() if key != "ipc"})


def invention(industry: Industry, rng: random.Random) -> tuple[str, str]:
    words = GRAMMAR[industry]
    title = fill(rng.choice(TITLE_TEMPLATES), words, rng)
    steps = rng.sample(["获取待处理的原始数据并进行预处理", f"通过{rng.choice(words['part'])}采集目标信号",
                        f"采用{rng.choice(words['tech'])}技术构建处理模型", "根据预设阈值对结果进行校正",
                        "将处理结果输出至控制终端", f"对{rng.choice(words['object'])}进行参数优化"], 3)
    abstract = (f"本发明公开了一种{title.removeprefix('一种')}，包括以下步骤：S1，{steps[0]}；"
                f"S2，{steps[1]}；S3，{steps[2]}。本发明{'，'.join(rng.sample(words['effect'], 2))}，"
                f"适用于{rng.choice(words['scene'])}等场景。")
    return title, abstract


def utility_model(industry: Industry, rng: random.Random) -> tuple[str, str]:
    words = GRAMMAR[industry]
    title = fill(rng.choice(UTILITY_TEMPLATES), words, rng)
    a, b, c = rng.sample(words["part"], 3)
    abstract = (f"本实用新型公开了{title}，包括{a}、{b}和{c}，所述{b}设置于{a}的上方，所述{c}与{b}连接。"
                f"本实用新型结构简单、安装方便，{rng.choice(words['effect'])}。")
    return title, abstract


def design(industry: Industry, rng: random.Random) -> tuple[str, str]:
    product = rng.choice(DESIGN_PRODUCTS[industry])
    title = f"{product}（{rng.choice(['A', 'B', 'S', 'Pro', 'Mini'])}{rng.randint(1, 9)}型）"
    abstract = (f"1．本外观设计产品的名称：{title}。2．本外观设计产品的用途：用于{rng.choice(GRAMMAR[industry]['scene'])}。"
                "3．本外观设计产品的设计要点：在于形状与图案的结合。4．最能表明设计要点的图片或照片：立体图。")
    return title, abstract


def ipc_codes(industry: Industry, rng: random.Random) -> list[str]:
    pool = GRAMMAR[industry]["ipc"]
    return rng.sample(pool, rng.choice([1, 2, 2, 3]))
